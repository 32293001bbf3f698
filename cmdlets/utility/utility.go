// Package utility holds the built-in cmdlets that need no organisation:
// object shaping (Select-, Sort-, Group-, Measure-Object), formatting and
// output (Format-*, Out-String, Out-File), CSV and JSON, files, items and
// locations, dates, credentials, and the shell's own discovery commands
// (Get-Member, Get-Command, Get-Help). They behave as Windows PowerShell
// 5.1's do, which is what the Exchange Management Shell runs on.
package utility

import (
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// Modules, as Get-Command shows them in the Source column.
const (
	ModuleUtility    = "Microsoft.PowerShell.Utility"
	ModuleManagement = "Microsoft.PowerShell.Management"
	ModuleSecurity   = "Microsoft.PowerShell.Security"
	ModuleCore       = "Microsoft.PowerShell.Core"
)

// Cmdlets returns every cmdlet of this package, each a fresh value.
func Cmdlets() []*interp.CmdletInfo {
	var all []*interp.CmdletInfo
	for _, group := range [][]*interp.CmdletInfo{
		objectCmdlets(),
		formatCmdlets(),
		dataCmdlets(),
		fileCmdlets(),
		itemCmdlets(),
		itemOpCmdlets(),
		miscCmdlets(),
		metaCmdlets(),
	} {
		all = append(all, group...)
	}
	return all
}

// pb builds a ParamInfo with chained setters, to keep declarations short.
type pb struct{ p *interp.ParamInfo }

func param(name string, kind interp.ParamKind, help string) pb {
	return pb{&interp.ParamInfo{Name: name, Kind: kind, Position: -1, Help: help}}
}

func (b pb) at(pos int) pb         { b.p.Position = pos; return b }
func (b pb) array() pb             { b.p.Array = true; return b }
func (b pb) mandatory() pb         { b.p.Mandatory = true; return b }
func (b pb) pipe() pb              { b.p.FromPipeline = true; return b }
func (b pb) byName() pb            { b.p.FromPipelineByPropertyName = true; return b }
func (b pb) alias(a ...string) pb  { b.p.Aliases = append(b.p.Aliases, a...); return b }
func (b pb) sets(s ...string) pb   { b.p.Sets = append(b.p.Sets, s...); return b }
func (b pb) values(v ...string) pb { b.p.Values = v; return b }
func (b pb) def(s string) pb       { b.p.Default = s; return b }
func (b pb) typeName(s string) pb  { b.p.TypeName = s; return b }
func params(bs ...pb) []*interp.ParamInfo {
	out := make([]*interp.ParamInfo, len(bs))
	for i, b := range bs {
		out[i] = b.p
	}
	return out
}

// inputObject is the common -InputObject parameter.
func inputObject(help string) pb {
	return param("InputObject", interp.KindObject, help).pipe()
}

// input returns the object a Process call works on: the pipeline object,
// or -InputObject given by name (taken whole, as PowerShell does).
func input(c *interp.Call) (any, bool) {
	if c.HasInput {
		return c.Input, true
	}
	if c.Has("InputObject") {
		return c.Value("InputObject"), true
	}
	return nil, false
}

// list returns a bound parameter as a list whatever its binding produced.
func list(c *interp.Call, name string) []any {
	if !c.Has(name) {
		return nil
	}
	return object.ToList(c.Value(name))
}

// strs returns a bound parameter as strings.
func strs(c *interp.Call, name string) []string {
	var out []string
	for _, v := range list(c, name) {
		out = append(out, object.ToString(v))
	}
	return out
}

// intParam returns a bound numeric parameter, or def.
func intParam(c *interp.Call, name string, def int) int {
	if !c.Has(name) {
		return def
	}
	n, err := object.ToInt(c.Value(name))
	if err != nil {
		return def
	}
	return n
}

// enumLimit reads $FormatEnumerationLimit (-1 shows every element; 0
// counts as the default).
func enumLimit(c *interp.Call) int {
	if v, ok := c.GetVariable("FormatEnumerationLimit"); ok && v != nil {
		if n, err := object.ToInt(v); err == nil && n != 0 {
			return n
		}
	}
	return format.DefaultEnumerationLimit
}

// writeAll writes each value to the pipeline, stopping when downstream has.
func writeAll(c *interp.Call, vs []any) error {
	for _, v := range vs {
		if err := c.WriteObject(v); err != nil {
			return err
		}
	}
	return nil
}

// errorID builds PowerShell's FullyQualifiedErrorId: "<id>,<cmdlet class>".
func errorID(id, class string) string { return id + ",Microsoft.PowerShell.Commands." + class }

// single returns the value a script block produced: nothing is $null, one
// value is itself, more are an array.
func single(vs []any) any {
	switch len(vs) {
	case 0:
		return nil
	case 1:
		return vs[0]
	}
	return vs
}
