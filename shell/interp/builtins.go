package interp

import (
	"errors"
	"io"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
	"exsh/shell/wildcard"
)

const utilityModule = "Microsoft.PowerShell.Utility"
const coreModule = "Microsoft.PowerShell.Core"

// Builtins returns the commands that need the interpreter's internals:
// Write-*, *-Variable, Out-Null/Host/Default, ForEach-Object and
// Where-Object. Other utility cmdlets live outside the interpreter.
func Builtins() []*CmdletInfo {
	return []*CmdletInfo{
		writeOutputCmd(), writeErrorCmd(), writeWarningCmd(), writeVerboseCmd(), writeHostCmd(),
		getVariableCmd(), setVariableCmd(), newVariableCmd(), removeVariableCmd(), clearVariableCmd(),
		outNullCmd(), outHostCmd("Out-Host", "oh"), outHostCmd("Out-Default", ""),
		forEachObjectCmd(), whereObjectCmd(), invokeExpressionCmd(), invokeCommandCmd(), writeDebugCmd(),
	}
}

func invokeCommandCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Invoke-Command", Aliases: []string{"icm"}, Module: coreModule,
		Synopsis: "Runs commands on local and remote computers.",
		Params: []*ParamInfo{
			{Name: "ScriptBlock", Kind: KindScriptBlock, Position: 0, Mandatory: true, Aliases: []string{"Command"}},
			{Name: "ArgumentList", Kind: KindObject, Array: true, Position: -1, Aliases: []string{"Args"}},
			{Name: "ComputerName", Kind: KindString, Array: true, Position: -1, Aliases: []string{"Cn"}},
			{Name: "NoNewScope", Kind: KindSwitch, Position: -1},
			{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true},
		},
		Begin: func(c *Call) error { c.State = []any{}; return nil },
		Process: func(c *Call) error {
			if c.HasInput {
				c.State = append(c.State.([]any), c.Input)
			}
			return nil
		},
		End: func(c *Call) error {
			// -ComputerName is accepted for lab scripts written for real
			// servers; the block always runs here.
			rt := rtOf(c)
			sb := c.Value("ScriptBlock").(*ScriptBlock)
			if c.Bool("NoNewScope") {
				return rt.f.runBlockWith(sb, nil, c.List("ArgumentList"), c.WriteObject)
			}
			out, err := rt.f.invokeScriptBlockInput(sb, c.List("ArgumentList"), c.State.([]any))
			for _, v := range out {
				if werr := c.WriteObject(v); werr != nil {
					return werr
				}
			}
			return err
		},
	}
}

func invokeExpressionCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Invoke-Expression", Aliases: []string{"iex"}, Module: utilityModule,
		Synopsis: "Runs commands or expressions on the local computer.",
		Params:   []*ParamInfo{{Name: "Command", Kind: KindString, Position: 0, Mandatory: true, FromPipeline: true}},
		Process: func(c *Call) error {
			rt := rtOf(c)
			text := c.String("Command")
			ast, err := syntax.Parse(text, "")
			if err != nil {
				var pe *syntax.ParseError
				if errors.As(err, &pe) {
					rec := NewError("ParserError", "ParseException", pe.ErrorID, "", "%s", pe.Msg)
					return rec
				}
				return err
			}
			g := rt.f.with(c.WriteObject)
			g.src = &source{text: text}
			return g.runBlockBody(ast)
		},
	}
}

func rtOf(c *Call) *cmdRuntime { return c.rt.(*cmdRuntime) }

func writeOutputCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Output", Aliases: []string{"echo", "write"}, Module: utilityModule,
		Synopsis: "Sends the specified objects to the next command in the pipeline.",
		Params: []*ParamInfo{
			{Name: "InputObject", Kind: KindObject, Array: true, Position: 0, FromPipeline: true, Remaining: true, Mandatory: false},
			{Name: "NoEnumerate", Kind: KindSwitch, Position: -1},
		},
		Examples: []Example{{Code: `Write-Output "test output" | Get-Member`}},
		Process: func(c *Call) error {
			if c.HasInput {
				return c.WriteObject(c.Input)
			}
			items := c.List("InputObject")
			if c.Bool("NoEnumerate") && len(items) > 1 {
				return c.WriteObject(items)
			}
			for _, v := range items {
				if object.IsArray(v) && !c.Bool("NoEnumerate") {
					for _, e := range object.ToList(v) {
						if err := c.WriteObject(e); err != nil {
							return err
						}
					}
					continue
				}
				if err := c.WriteObject(v); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

var errorCategories = []string{"NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument",
	"InvalidData", "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError", "NotImplemented", "NotInstalled",
	"ObjectNotFound", "OperationStopped", "OperationTimeout", "SyntaxError", "ParserError", "PermissionDenied", "ResourceBusy",
	"ResourceExists", "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr", "SecurityError", "ProtocolError",
	"ConnectionError", "AuthenticationError", "LimitsExceeded", "QuotaExceeded", "NotEnabled"}

func writeErrorCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Error", Module: utilityModule,
		Synopsis: "Writes an object to the error stream.",
		Params: []*ParamInfo{
			{Name: "Message", Kind: KindString, Position: 0, FromPipeline: true, Aliases: []string{"Msg"}},
			{Name: "Category", Kind: KindEnum, Values: errorCategories, Position: -1, TypeName: "System.Management.Automation.ErrorCategory"},
			{Name: "ErrorId", Kind: KindString, Position: -1},
			{Name: "TargetObject", Kind: KindObject, Position: -1},
			{Name: "ErrorRecord", Kind: KindObject, Position: -1},
			{Name: "Exception", Kind: KindObject, Position: -1},
			{Name: "RecommendedAction", Kind: KindString, Position: -1},
			{Name: "CategoryActivity", Kind: KindString, Position: -1, Aliases: []string{"Activity"}},
			{Name: "CategoryReason", Kind: KindString, Position: -1, Aliases: []string{"Reason"}},
			{Name: "CategoryTargetName", Kind: KindString, Position: -1, Aliases: []string{"TargetName"}},
			{Name: "CategoryTargetType", Kind: KindString, Position: -1, Aliases: []string{"TargetType"}},
		},
		Process: func(c *Call) error {
			rt := rtOf(c)
			if r, ok := c.Value("ErrorRecord").(*ErrorRecord); ok {
				rt.writeRecord(r)
				return nil
			}
			msg := c.String("Message")
			if c.HasInput && !c.Has("Message") {
				msg = object.ToString(c.Input)
			}
			if ex := c.Value("Exception"); ex != nil && msg == "" {
				msg = object.ToString(ex)
			}
			rec := &ErrorRecord{
				Message:      msg,
				Category:     "NotSpecified",
				Reason:       "WriteErrorException",
				Activity:     "Write-Error",
				TargetObject: c.Value("TargetObject"),
			}
			if v := c.String("Category"); v != "" {
				rec.Category = v
			}
			if v := c.String("CategoryActivity"); v != "" {
				rec.Activity = v
			}
			if v := c.String("CategoryReason"); v != "" {
				rec.Reason = v
			}
			rec.TargetName = c.String("CategoryTargetName")
			id := "Microsoft.PowerShell.Commands.WriteErrorException"
			if v := c.String("ErrorId"); v != "" {
				id = v
			}
			// As Windows PowerShell shows it: inside a function the error
			// belongs to the function's call; at script level to the
			// statement, without a position.
			if fn := rt.f.fn; fn != nil {
				rec.invocation = fn.name
				id += "," + fn.name
				if fn.src != nil && fn.pos.Start.IsValid() {
					rec.File = fn.src.file
					rec.Line = fn.pos.Start.Line
					rec.Col = fn.pos.Start.Col
					rec.LineText = fn.src.line(fn.pos.Start.Line)
					rec.PosLength = max(fn.pos.Stop.Offset-fn.pos.Start.Offset, 1)
				}
			} else {
				// Windows PowerShell names the script's line as the command.
				rec.invocation = strings.TrimSpace(rt.f.src.line(rt.span.Start.Line))
				if rec.invocation == "" {
					rec.invocation = rt.commandText()
				}
				rec.noPosition = true
				rec.Line = rt.span.Start.Line
			}
			rec.FullyQualifiedErrorId = id
			rt.writeRecord(rec)
			return nil
		},
	}
}

// commandText is the source text of the command being run.
func (rt *cmdRuntime) commandText() string {
	if rt.f.src == nil {
		return rt.name()
	}
	a, b := rt.span.Start.Offset, rt.span.Stop.Offset
	if a < 0 || b > len(rt.f.src.text) || a >= b {
		return rt.name()
	}
	return strings.TrimSpace(rt.f.src.text[a:b])
}

func writeWarningCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Warning", Module: utilityModule,
		Synopsis: "Writes a warning message.",
		Params:   []*ParamInfo{{Name: "Message", Kind: KindString, Position: 0, Mandatory: true, FromPipeline: true, Aliases: []string{"Msg"}}},
		Process: func(c *Call) error {
			c.WriteWarning(c.String("Message"))
			return nil
		},
	}
}

func writeVerboseCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Verbose", Module: utilityModule,
		Synopsis: "Writes text to the verbose message stream.",
		Params:   []*ParamInfo{{Name: "Message", Kind: KindString, Position: 0, Mandatory: true, FromPipeline: true, Aliases: []string{"Msg"}}},
		Process: func(c *Call) error {
			// Write-Verbose honours the caller's -Verbose, seen through
			// $VerbosePreference in an advanced function.
			c.WriteVerbose(c.String("Message"))
			return nil
		},
	}
}

func writeDebugCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Debug", Module: utilityModule,
		Synopsis: "Writes a debug message to the console.",
		Params:   []*ParamInfo{{Name: "Message", Kind: KindString, Position: 0, Mandatory: true, FromPipeline: true, Aliases: []string{"Msg"}}},
		Process: func(c *Call) error {
			rt := rtOf(c)
			on := rt.f.preference("DebugPreference")
			if rt.common.debug != nil && *rt.common.debug {
				on = "continue"
			}
			if on == "continue" || on == "inquire" {
				io.WriteString(rt.f.s.stdout, "DEBUG: "+c.String("Message")+"\n")
			}
			return nil
		},
	}
}

func writeHostCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Write-Host", Module: utilityModule,
		Synopsis: "Writes customized output to a host.",
		Params: []*ParamInfo{
			{Name: "Object", Kind: KindObject, Array: true, Position: 0, FromPipeline: true, Remaining: true, Aliases: []string{"Msg", "Message"}},
			{Name: "NoNewline", Kind: KindSwitch, Position: -1},
			{Name: "Separator", Kind: KindObject, Position: -1},
			{Name: "ForegroundColor", Kind: KindString, Position: -1},
			{Name: "BackgroundColor", Kind: KindString, Position: -1},
		},
		Process: func(c *Call) error {
			sep := " "
			if c.Has("Separator") {
				sep = object.ToString(c.Value("Separator"))
			}
			items := c.List("Object")
			if c.HasInput {
				items = []any{c.Input}
			}
			var parts []string
			var add func(v any)
			add = func(v any) {
				if object.IsArray(v) {
					for _, e := range object.ToList(v) {
						add(e)
					}
					return
				}
				parts = append(parts, object.ToString(v))
			}
			for _, v := range items {
				add(v)
			}
			c.WriteHost(strings.Join(parts, sep), !c.Bool("NoNewline"))
			return nil
		},
	}
}

// variableObject is a PSVariable as Get-Variable returns it.
func variableObject(name string, v any) *object.PSObject {
	o := object.New("System.Management.Automation.PSVariable")
	o.Add("Name", name).Add("Value", v)
	return o
}

func getVariableCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Get-Variable", Aliases: []string{"gv"}, Module: utilityModule,
		Synopsis: "Gets the variables in the current console.",
		Params: []*ParamInfo{
			{Name: "Name", Kind: KindString, Array: true, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true},
			{Name: "ValueOnly", Kind: KindSwitch, Position: -1},
			{Name: "Scope", Kind: KindString, Position: -1},
			{Name: "Exclude", Kind: KindString, Array: true, Position: -1},
			{Name: "Include", Kind: KindString, Array: true, Position: -1},
		},
		Process: func(c *Call) error {
			rt := rtOf(c)
			names := c.Strings("Name")
			if len(names) == 0 {
				names = []string{"*"}
			}
			emit := func(name string, v any) error {
				if c.Bool("ValueOnly") {
					return c.WriteObject(v)
				}
				return c.WriteObject(variableObject(name, v))
			}
			for _, pattern := range names {
				if wildcard.HasWildcard(pattern) {
					seen := map[string]bool{}
					var list []*variable
					for sc := rt.f.sc; sc != nil; sc = sc.parent {
						for k, v := range sc.vars {
							if !seen[k] && wildcard.Match(pattern, v.name) {
								seen[k] = true
								list = append(list, v)
							}
						}
					}
					sortVars(list)
					for _, v := range list {
						if err := emit(v.name, v.value); err != nil {
							return err
						}
					}
					continue
				}
				scopeName, n := splitScope(pattern)
				if s := c.String("Scope"); s != "" {
					scopeName = s
				}
				v, ok := rt.f.lookupVar(scopeName, n)
				if !ok {
					rec := NewError("ObjectNotFound", "ItemNotFoundException", "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand", n,
						"Cannot find a variable with the name '%s'.", n)
					c.WriteError(rec)
					continue
				}
				if err := emit(n, v); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func sortVars(list []*variable) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && strings.ToLower(list[j].name) < strings.ToLower(list[j-1].name); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

func setVariableCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Set-Variable", Aliases: []string{"set", "sv"}, Module: utilityModule,
		Synopsis: "Sets the value of a variable. Creates the variable if one with the requested name does not exist.",
		Params: []*ParamInfo{
			{Name: "Name", Kind: KindString, Array: true, Position: 0, Mandatory: true, FromPipelineByPropertyName: true},
			{Name: "Value", Kind: KindObject, Position: 1, FromPipeline: true},
			{Name: "Scope", Kind: KindString, Position: -1},
			{Name: "PassThru", Kind: KindSwitch, Position: -1},
			{Name: "Option", Kind: KindString, Position: -1},
			{Name: "Description", Kind: KindString, Position: -1},
			{Name: "Force", Kind: KindSwitch, Position: -1},
		},
		Process: func(c *Call) error { return setVariables(c, false) },
	}
}

func newVariableCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "New-Variable", Aliases: []string{"nv"}, Module: utilityModule,
		Synopsis: "Creates a new variable.",
		Params: []*ParamInfo{
			{Name: "Name", Kind: KindString, Position: 0, Mandatory: true, FromPipelineByPropertyName: true},
			{Name: "Value", Kind: KindObject, Position: 1, FromPipeline: true},
			{Name: "Scope", Kind: KindString, Position: -1},
			{Name: "PassThru", Kind: KindSwitch, Position: -1},
			{Name: "Option", Kind: KindString, Position: -1},
			{Name: "Description", Kind: KindString, Position: -1},
			{Name: "Force", Kind: KindSwitch, Position: -1},
		},
		Process: func(c *Call) error { return setVariables(c, true) },
	}
}

func setVariables(c *Call, create bool) error {
	rt := rtOf(c)
	names := c.Strings("Name")
	if s := c.String("Name"); s != "" {
		names = []string{s}
	}
	for _, n := range names {
		scopeName, name := splitScope(n)
		if s := c.String("Scope"); s != "" {
			scopeName = s
		}
		if create && !c.Bool("Force") {
			if _, exists := rt.f.sc.vars[strings.ToLower(name)]; exists {
				c.WriteError(NewError("ResourceExists", "SessionStateException", "VariableAlreadyExists,Microsoft.PowerShell.Commands.NewVariableCommand", name,
					"A variable with name '%s' already exists.", name))
				continue
			}
		}
		if err := rt.f.setVar(scopeName, name, c.Value("Value")); err != nil {
			return err
		}
		if c.Bool("PassThru") {
			if err := c.WriteObject(variableObject(name, c.Value("Value"))); err != nil {
				return err
			}
		}
	}
	return nil
}

func removeVariableCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Remove-Variable", Aliases: []string{"rv"}, Module: utilityModule,
		Synopsis: "Deletes a variable and its value.",
		Params: []*ParamInfo{
			{Name: "Name", Kind: KindString, Array: true, Position: 0, Mandatory: true, FromPipelineByPropertyName: true},
			{Name: "Scope", Kind: KindString, Position: -1},
			{Name: "Force", Kind: KindSwitch, Position: -1},
		},
		Process: func(c *Call) error {
			rt := rtOf(c)
			for _, n := range c.Strings("Name") {
				scopeName, name := splitScope(n)
				sc := rt.f.sc
				if strings.EqualFold(scopeName, "global") || strings.EqualFold(c.String("Scope"), "global") {
					sc = rt.f.s.global
				}
				if !sc.remove(name) {
					c.WriteError(NewError("ObjectNotFound", "ItemNotFoundException", "VariableNotFound,Microsoft.PowerShell.Commands.RemoveVariableCommand", name,
						"Cannot find a variable with the name '%s'.", name))
				}
			}
			return nil
		},
	}
}

func clearVariableCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Clear-Variable", Aliases: []string{"clv"}, Module: utilityModule,
		Synopsis: "Deletes the value of a variable.",
		Params: []*ParamInfo{
			{Name: "Name", Kind: KindString, Array: true, Position: 0, Mandatory: true, FromPipelineByPropertyName: true},
			{Name: "Scope", Kind: KindString, Position: -1},
		},
		Process: func(c *Call) error {
			rt := rtOf(c)
			for _, n := range c.Strings("Name") {
				scopeName, name := splitScope(n)
				if _, ok := rt.f.lookupVar(scopeName, name); !ok {
					c.WriteError(NewError("ObjectNotFound", "ItemNotFoundException", "VariableNotFound,Microsoft.PowerShell.Commands.ClearVariableCommand", name,
						"Cannot find a variable with the name '%s'.", name))
					continue
				}
				rt.f.setVar(scopeName, name, nil)
			}
			return nil
		},
	}
}

func outNullCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "Out-Null", Module: coreModule,
		Synopsis: "Hides the output instead of sending it down the pipeline or displaying it.",
		Params:   []*ParamInfo{{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true}},
		Process:  func(c *Call) error { return nil },
	}
}

func outHostCmd(name, alias string) *CmdletInfo {
	info := &CmdletInfo{
		Name: name, Module: coreModule,
		Synopsis: "Sends output to the command line.",
		Params: []*ParamInfo{
			{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true},
			{Name: "Paging", Kind: KindSwitch, Position: -1},
		},
		Begin: func(c *Call) error {
			c.State = c.Session().newOutput(c.Session().stdout)
			return nil
		},
		Process: func(c *Call) error {
			out := c.State.(Output)
			v, ok := c.Bound["InputObject"]
			if c.HasInput {
				v, ok = c.Input, true
			}
			if !ok || v == nil {
				return nil
			}
			return out.Write(v)
		},
		End: func(c *Call) error { return c.State.(Output).Close() },
	}
	if alias != "" {
		info.Aliases = []string{alias}
	}
	return info
}

// forEachState is ForEach-Object's state between blocks.
type forEachState struct {
	begin, end *ScriptBlock
	process    []*ScriptBlock
	member     string
	args       []any
}

func forEachObjectCmd() *CmdletInfo {
	return &CmdletInfo{
		Name: "ForEach-Object", Aliases: []string{"%", "foreach"}, Module: coreModule,
		Synopsis: "Performs an operation against each item in a collection of input objects.",
		Params: []*ParamInfo{
			{Name: "Process", Kind: KindObject, Array: true, Position: 0, Mandatory: false},
			{Name: "RemainingScripts", Kind: KindObject, Array: true, Position: -1, Remaining: true},
			{Name: "Begin", Kind: KindScriptBlock, Position: -1},
			{Name: "End", Kind: KindScriptBlock, Position: -1},
			{Name: "MemberName", Kind: KindString, Position: -1},
			{Name: "ArgumentList", Kind: KindObject, Array: true, Position: -1, Aliases: []string{"Args"}},
			{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true},
		},
		Examples: []Example{{Code: `1..3 | ForEach-Object { $_ * 2 }`}},
		Begin: func(c *Call) error {
			st := &forEachState{begin: nilBlock(c.Value("Begin")), end: nilBlock(c.Value("End")), args: c.List("ArgumentList")}
			c.State = st
			items := append(append([]any{}, c.List("Process")...), c.List("RemainingScripts")...)
			if m := c.String("MemberName"); m != "" {
				st.member = m
				st.args = append(st.args, items...)
			} else if len(items) > 0 {
				if _, isBlock := items[0].(*ScriptBlock); !isBlock {
					st.member = object.ToString(items[0])
					st.args = append(st.args, items[1:]...)
				} else {
					var blocks []*ScriptBlock
					for _, it := range items {
						sb, ok := it.(*ScriptBlock)
						if !ok {
							return bindError(c.Info, "CannotConvertArgument", "", "Cannot bind parameter 'Process'. Cannot convert the \""+object.ToString(it)+"\" value of type \""+object.TypeName(it)+"\" to type \"System.Management.Automation.ScriptBlock\".")
						}
						blocks = append(blocks, sb)
					}
					if len(blocks) > 1 && st.begin == nil && st.end == nil {
						st.begin = blocks[0]
						blocks = blocks[1:]
						if len(blocks) > 1 {
							st.end = blocks[len(blocks)-1]
							blocks = blocks[:len(blocks)-1]
						}
					}
					st.process = blocks
				}
			}
			if st.begin != nil {
				return rtOf(c).f.runBlockWith(st.begin, nil, nil, c.WriteObject)
			}
			return nil
		},
		Process: func(c *Call) error {
			st := c.State.(*forEachState)
			rt := rtOf(c)
			if !c.HasInput && c.Has("InputObject") {
				c.Input, c.HasInput = c.Value("InputObject"), true
			}
			if st.member != "" {
				if !c.HasInput {
					return nil
				}
				if len(st.args) > 0 || getMember(c.Input, st.member) == nil && hasMethod(c.Input, st.member) {
					v, err := rt.f.callMethod(c.Input, st.member, st.args)
					if err != nil {
						rt.WriteError(err)
						return nil
					}
					return writeEnumerated(v, c.WriteObject)
				}
				v := getMember(c.Input, st.member)
				if v == nil {
					return nil
				}
				return writeEnumerated(v, c.WriteObject)
			}
			for _, sb := range st.process {
				if err := rt.f.runBlockWith(sb, c.Input, nil, c.WriteObject); err != nil {
					return err
				}
			}
			return nil
		},
		End: func(c *Call) error {
			st := c.State.(*forEachState)
			if st.end != nil {
				return rtOf(c).f.runBlockWith(st.end, nil, nil, c.WriteObject)
			}
			return nil
		},
	}
}

// hasMethod reports whether v has a method name, without calling it: a
// method of its .NET type or every object's, each element's for an array,
// a script method of a custom object.
func hasMethod(v any, name string) bool {
	lname := strings.ToLower(name)
	if t := instanceType(v); t != nil && t.Methods[lname] != nil {
		return true
	}
	if objectType.Methods[lname] != nil {
		return true
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if !hasMethod(e, name) {
				return false
			}
		}
		return true
	case *object.PSObject:
		if g, ok := x.Base.(goMethods); ok && g.HasMethod(name) {
			// An object that implements its methods in Go ($PSCmdlet).
			return true
		}
		if p, ok := x.Get(name); ok {
			if _, isSB := p.(*ScriptBlock); isSB {
				return true
			}
		}
		if x.Base != nil {
			return hasMethod(x.Base, name)
		}
	}
	return false
}

func nilBlock(v any) *ScriptBlock {
	sb, _ := v.(*ScriptBlock)
	return sb
}

// whereOperators are Where-Object's comparison switches, each its own
// parameter set, mapped to the operator they apply.
var whereOperators = []string{"EQ", "CEQ", "NE", "CNE", "GT", "CGT", "LT", "CLT", "GE", "CGE", "LE", "CLE",
	"Like", "CLike", "NotLike", "CNotLike", "Match", "CMatch", "NotMatch", "CNotMatch",
	"Contains", "CContains", "NotContains", "CNotContains", "In", "CIn", "NotIn", "CNotIn", "Is", "IsNot"}

func whereObjectCmd() *CmdletInfo {
	var opSets []string
	for _, op := range whereOperators {
		opSets = append(opSets, op+"Set")
	}
	params := []*ParamInfo{
		{Name: "FilterScript", Kind: KindObject, Position: 0, Mandatory: true, Sets: []string{"ScriptBlockSet"}},
		{Name: "Property", Kind: KindString, Position: 0, Mandatory: true, Sets: opSets},
		{Name: "Value", Kind: KindObject, Position: 1, Sets: opSets},
		{Name: "InputObject", Kind: KindObject, Position: -1, FromPipeline: true},
	}
	for _, op := range whereOperators {
		params = append(params, &ParamInfo{Name: op, Kind: KindSwitch, Position: -1, Mandatory: true, Sets: []string{op + "Set"}})
	}
	return &CmdletInfo{
		Name: "Where-Object", Aliases: []string{"?", "where"}, Module: coreModule,
		Synopsis:            "Selects objects from a collection based on their property values.",
		Params:              params,
		DefaultParameterSet: "ScriptBlockSet",
		Examples:            []Example{{Code: `Get-Service | Where-Object Status -eq Running`}},
		Process: func(c *Call) error {
			if !c.HasInput && c.Has("InputObject") {
				c.Input, c.HasInput = c.Value("InputObject"), true
			}
			if !c.HasInput {
				return nil
			}
			rt := rtOf(c)
			if sb, ok := c.Value("FilterScript").(*ScriptBlock); ok {
				out, err := rt.f.runDotSourced(sb, c.Input, nil)
				if err != nil {
					return err
				}
				if object.ToBool(unwrapList(out)) {
					return c.WriteObject(c.Input)
				}
				return nil
			}
			prop := c.String("Property")
			if prop == "" {
				prop = object.ToString(c.Value("FilterScript"))
			}
			val := getMember(c.Input, prop)
			op := ""
			for _, o := range whereOperators {
				if c.Bool(o) {
					op = "-" + strings.ToLower(o)
				}
			}
			keep := false
			switch op {
			case "":
				keep = object.ToBool(val)
			case "-is", "-isnot":
				t := object.ToString(c.Value("Value"))
				if tv, ok := c.Value("Value").(typeValue); ok {
					t = tv.name
				}
				keep = isType(val, t) == (op == "-is")
			default:
				r, err := compare(op, val, c.Value("Value"), nil)
				if err != nil {
					rt.WriteError(err)
					return nil
				}
				keep = object.ToBool(r)
			}
			if keep {
				return c.WriteObject(c.Input)
			}
			return nil
		},
	}
}
