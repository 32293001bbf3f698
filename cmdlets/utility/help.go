package utility

import (
	"fmt"
	"sort"
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

const (
	typeCmdletInfo   = "System.Management.Automation.CmdletInfo"
	typeFunctionInfo = "System.Management.Automation.FunctionInfo"
	typeAliasInfo    = "System.Management.Automation.AliasInfo"
	typeCommandInfo  = "System.Management.Automation.CommandInfo"
	typeHelpInfo     = "HelpInfoShort"
)

func init() {
	// Windows PowerShell 5.1's CommandInfo view.
	format.Register(typeCommandInfo, format.View{
		Table: []format.Column{
			{Property: "CommandType", Width: 15},
			{Header: "Name", Width: 50, Expr: func(o *object.PSObject) any {
				if d, ok := o.Get("DisplayName"); ok && d != nil {
					return d
				}
				v, _ := o.Get("Name")
				return v
			}},
			{Property: "Version", Width: 10},
			{Property: "Source"},
		},
	})
	format.Register(typeHelpInfo, format.View{
		Table: []format.Column{{Property: "Name", Width: 33}, {Property: "Category", Width: 9}, {Property: "Module", Width: 25}, {Property: "Synopsis"}},
	})
}

func metaCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{getMember(), getCommand(), getHelp(), getAlias(), getExCommand(), getExBlog()}
}

// getExCommand is the Exchange Management Shell's Get-ExCommand function:
// Get-Command for the Exchange cmdlets only.
func getExCommand() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-ExCommand",
		Synopsis: "Gets the Exchange cmdlets.",
		Description: "Get-ExCommand lists the Exchange cmdlets of the session, as Get-Command does for every command. " +
			"-Name takes wildcards: Get-ExCommand *Connector* lists the connector cmdlets.",
		Params: params(
			param("Name", interp.KindString, "Specifies the names of the cmdlets to get. Wildcards are permitted.").at(0).array(),
		),
		Examples: []interp.Example{
			{Code: "Get-ExCommand", Remarks: "Lists every Exchange cmdlet."},
			{Code: "Get-ExCommand *ReceiveConnector", Remarks: "Lists the receive connector cmdlets."},
		},
		OutputType: typeCommandInfo,
		Process: func(c *interp.Call) error {
			names := strs(c, "Name")
			var list []*interp.CmdletInfo
			for _, ci := range commandsOf(c) {
				if ci.Remote && (len(names) == 0 || excluded(ci.Name, names)) {
					list = append(list, ci)
				}
			}
			sort.SliceStable(list, func(i, j int) bool { return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name) })
			for _, ci := range list {
				if err := c.WriteObject(commandObject(ci)); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ExBlogURL is the Exchange team blog that Get-ExBlog names.
const ExBlogURL = "https://techcommunity.microsoft.com/t5/exchange-team-blog/bg-p/Exchange"

// getExBlog is the Exchange Management Shell's Get-ExBlog function. EMS
// opens the blog in a browser; exsh, which often runs without one, writes
// the address.
func getExBlog() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Get-ExBlog",
		Synopsis:    "Shows the address of the Exchange team blog.",
		Description: "Get-ExBlog writes the address of the Exchange team blog (the Exchange Management Shell opens it in a browser).",
		Examples:    []interp.Example{{Code: "Get-ExBlog", Remarks: "Shows the blog's address."}},
		OutputType:  "System.String",
		Process: func(c *interp.Call) error {
			return c.WriteObject(ExBlogURL)
		},
	}
}

// moduleVersion is what Get-Command shows as Version for a module.
func moduleVersion(module string) string {
	switch module {
	case ModuleUtility, ModuleManagement:
		return "3.1.0.0"
	case ModuleSecurity, ModuleCore:
		return "3.0.0.0"
	case "":
		return ""
	}
	if strings.Contains(module, "Exchange") {
		return "15.0.0.0"
	}
	return "1.0"
}

type commandRef string

func (c commandRef) String() string { return string(c) }

// ExchangeModule is the module Get-Command names as the Source of the
// Exchange cmdlets. The Exchange Management Shell imports them from the
// server's remote session into a temporary module (tmp_<random>.<ext>,
// e.g. tmp_1rwg5nbk.pgh) of proxy functions; exsh's name keeps that
// shape, fixed so that scripts and tests can rely on it.
const ExchangeModule = "tmp_exsh.ems"

func commandType(ci *interp.CmdletInfo) string {
	if ci.Module == "" || ci.Remote {
		return "Function"
	}
	return "Cmdlet"
}

// commandModule is the module Get-Command shows for ci.
func commandModule(ci *interp.CmdletInfo) string {
	if ci.Remote {
		return ExchangeModule
	}
	return ci.Module
}

// inModules reports whether ci belongs to one of the module patterns:
// an Exchange cmdlet matches both its proxy module and the Exchange
// snap-in name.
func inModules(ci *interp.CmdletInfo, modules []string) bool {
	return excluded(commandModule(ci), modules) || ci.Remote && excluded(ci.Module, modules)
}

func commandObject(ci *interp.CmdletInfo) *object.PSObject {
	kind := commandType(ci)
	tn := typeCmdletInfo
	if kind == "Function" {
		tn = typeFunctionInfo
	}
	verb, noun, _ := strings.Cut(ci.Name, "-")
	o := object.New(tn, typeCommandInfo, "System.Object")
	o.Base = commandRef(ci.Name)
	var pnames []any
	for _, p := range ci.Params {
		pnames = append(pnames, p.Name)
	}
	module, version := commandModule(ci), moduleVersion(ci.Module)
	if ci.Remote {
		version = "1.0"
	}
	o.Add("CommandType", kind).Add("Name", ci.Name).Add("Version", version).Add("Source", module).
		Add("Verb", verb).Add("Noun", noun).Add("ModuleName", module).Add("Definition", strings.Join(syntaxLines(ci), "\n")).
		Add("Parameters", pnames).Add("OutputType", ci.OutputType).Add("HelpUri", "")
	return o
}

func aliasObject(alias string, ci *interp.CmdletInfo) *object.PSObject {
	o := object.New(typeAliasInfo, typeCommandInfo, "System.Object")
	o.Base = commandRef(alias)
	o.Add("CommandType", "Alias").Add("Name", alias).Add("Version", "").Add("Source", "").
		Add("DisplayName", alias+" -> "+ci.Name).Add("Definition", ci.Name).Add("ResolvedCommandName", ci.Name).Add("ReferencedCommand", ci.Name)
	return o
}

func commandsOf(c *interp.Call) []*interp.CmdletInfo {
	if s := c.Session(); s != nil {
		return s.Commands()
	}
	return nil
}

func getCommand() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-Command",
		Aliases:  []string{"gcm"},
		Module:   ModuleCore,
		Synopsis: "Gets all commands.",
		Description: "The Get-Command cmdlet gets the commands of the session: cmdlets, functions and aliases. " +
			"-Name, -Verb, -Noun and -Module take wildcards.",
		Params: params(
			param("Name", interp.KindString, "Specifies an array of names. Wildcards are permitted.").at(0).array().byName(),
			param("Verb", interp.KindString, "Specifies an array of command verbs. Wildcards are permitted.").array().sets("CmdletSet"),
			param("Noun", interp.KindString, "Specifies an array of command nouns. Wildcards are permitted.").array().sets("CmdletSet"),
			param("Module", interp.KindString, "Specifies an array of modules; gets the commands that came from them. Wildcards are permitted.").array().alias("PSSnapin"),
			param("CommandType", interp.KindString, "Specifies the types of commands: Alias, Function, Cmdlet, All.").array().alias("Type"),
			param("Syntax", interp.KindSwitch, "Indicates that this cmdlet gets only the syntax of the commands."),
			param("TotalCount", interp.KindInt, "Specifies the number of commands to get."),
		),
		Examples: []interp.Example{
			{Code: "Get-Command *ReceiveConnector", Remarks: "Lists the receive connector cmdlets."},
			{Code: "Get-Command -Verb Get -Module *Exchange*", Remarks: "Lists the Exchange Get cmdlets."},
			{Code: "Get-Command New-ReceiveConnector -Syntax", Remarks: "Shows how to call a cmdlet."},
		},
		OutputType: typeCommandInfo,
		Process: func(c *interp.Call) error {
			names := strs(c, "Name")
			verbs, nouns, modules, types := strs(c, "Verb"), strs(c, "Noun"), strs(c, "Module"), strs(c, "CommandType")
			typeOK := func(t string) bool {
				if len(types) == 0 {
					return true
				}
				for _, w := range types {
					if strings.EqualFold(w, "All") || strings.EqualFold(w, t) {
						return true
					}
				}
				return false
			}
			type row struct {
				order int
				name  string
				obj   *object.PSObject
				ci    *interp.CmdletInfo
			}
			var rows []row
			matched := map[string]bool{}
			for _, ci := range commandsOf(c) {
				verb, noun, _ := strings.Cut(ci.Name, "-")
				if len(verbs) > 0 && !excluded(verb, verbs) || len(nouns) > 0 && !excluded(noun, nouns) || len(modules) > 0 && !inModules(ci, modules) {
					continue
				}
				kind := commandType(ci)
				if typeOK(kind) && (len(names) == 0 || matchAny(ci.Name, names, matched)) {
					order := 2
					if kind == "Function" {
						order = 1
					}
					rows = append(rows, row{order, ci.Name, commandObject(ci), ci})
				}
				// Aliases are listed when asked for by name or type.
				if len(names) > 0 || len(types) > 0 {
					for _, a := range ci.Aliases {
						if typeOK("Alias") && (len(names) == 0 || matchAny(a, names, matched)) {
							rows = append(rows, row{0, a, aliasObject(a, ci), ci})
						}
					}
				}
			}
			for _, n := range names {
				if !wildcard.HasWildcard(n) && !matched[strings.ToLower(n)] {
					c.WriteError(interp.NewError("ObjectNotFound", "CommandNotFoundException", errorID("CommandNotFoundException", "GetCommandCommand"), n,
						"The term '%s' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", n))
				}
			}
			sort.SliceStable(rows, func(i, j int) bool {
				if rows[i].order != rows[j].order {
					return rows[i].order < rows[j].order
				}
				return strings.ToLower(rows[i].name) < strings.ToLower(rows[j].name)
			})
			if n := intParam(c, "TotalCount", -1); n >= 0 && n < len(rows) {
				rows = rows[:n]
			}
			for _, r := range rows {
				var out any = r.obj
				if c.Bool("Syntax") {
					if r.order == 0 {
						out = r.ci.Name
					} else {
						out = strings.Join(syntaxLines(r.ci), "\n\n")
					}
				}
				if err := c.WriteObject(out); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func matchAny(name string, patterns []string, matched map[string]bool) bool {
	for _, p := range patterns {
		if wildcard.Match(p, name) {
			matched[strings.ToLower(p)] = true
			return true
		}
	}
	return false
}

func getAlias() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Get-Alias",
		Aliases:     []string{"gal"},
		Module:      ModuleUtility,
		Synopsis:    "Gets the aliases for the current session.",
		Description: "The Get-Alias cmdlet gets the aliases in the current session, such as ft for Format-Table. -Definition finds the aliases of a command.",
		Params: params(
			param("Name", interp.KindString, "Specifies the aliases that this cmdlet gets. Wildcards are permitted.").at(0).array().sets("Default"),
			param("Definition", interp.KindString, "Gets the aliases for the specified command. Wildcards are permitted.").array().sets("Definition"),
			param("Exclude", interp.KindString, "Omits the specified aliases. Wildcards are permitted.").array(),
		),
		DefaultParameterSet: "Default",
		Examples: []interp.Example{
			{Code: "Get-Alias -Definition Format-Table", Remarks: "Shows the aliases of Format-Table."},
		},
		OutputType: typeAliasInfo,
		Process: func(c *interp.Call) error {
			names, defs, excl := strs(c, "Name"), strs(c, "Definition"), strs(c, "Exclude")
			type al struct {
				name string
				ci   *interp.CmdletInfo
			}
			var all []al
			for _, ci := range commandsOf(c) {
				for _, a := range ci.Aliases {
					if len(names) > 0 && !excluded(a, names) || len(defs) > 0 && !excluded(ci.Name, defs) || excluded(a, excl) {
						continue
					}
					all = append(all, al{a, ci})
				}
			}
			sort.SliceStable(all, func(i, j int) bool { return strings.ToLower(all[i].name) < strings.ToLower(all[j].name) })
			if len(all) == 0 && len(names) == 1 && !wildcard.HasWildcard(names[0]) {
				return interp.NewError("ObjectNotFound", "ItemNotFoundException", errorID("ItemNotFoundException", "GetAliasCommand"), names[0],
					"This command cannot find a matching alias because an alias with the name '%s' does not exist.", names[0])
			}
			for _, a := range all {
				if err := c.WriteObject(aliasObject(a.name, a.ci)); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ---- syntax and help text ----

// paramTypeName is the type Get-Help shows for a parameter. ParamInfo has
// no .NET type, so Exchange's identity types are derived from the noun
// (Get-ReceiveConnector -Identity: ReceiveConnectorIdParameter).
func paramTypeName(ci *interp.CmdletInfo, p *interp.ParamInfo) string {
	if p.TypeName != "" && p.Kind != interp.KindSwitch {
		return shortTypeName(p.TypeName)
	}
	exchange := strings.Contains(ci.Module, "Exchange")
	_, noun, _ := strings.Cut(ci.Name, "-")
	var t string
	switch p.Kind {
	case interp.KindSwitch:
		return "SwitchParameter"
	case interp.KindString, interp.KindEnum:
		t = "String"
	case interp.KindInt:
		t = "Int32"
	case interp.KindInt64:
		t = "Int64"
	case interp.KindDouble:
		t = "Double"
	case interp.KindBool:
		t = "Boolean"
	case interp.KindDateTime:
		t = "DateTime"
	case interp.KindTimeSpan:
		t = "TimeSpan"
		if exchange {
			t = "EnhancedTimeSpan"
		}
	case interp.KindByteSize:
		t = "ByteQuantifiedSize"
	case interp.KindScriptBlock:
		t = "ScriptBlock"
	case interp.KindHashtable:
		t = "Hashtable"
	case interp.KindSecureString:
		t = "SecureString"
	case interp.KindCredential:
		t = "PSCredential"
	default:
		t = "Object"
		if p.Name == "InputObject" {
			t = "PSObject"
		}
	}
	if exchange {
		switch {
		case strings.EqualFold(p.Name, "Identity"):
			switch noun {
			case "Queue":
				t = "QueueIdentity"
			case "Message":
				t = "MessageIdentity"
			default:
				t = noun + "IdParameter"
			}
		case strings.EqualFold(p.Name, "Server"):
			t = "ServerIdParameter"
		case strings.EqualFold(p.Name, "DomainController") || strings.EqualFold(p.Name, "Fqdn"):
			t = "Fqdn"
		}
		if p.Multi {
			return "MultiValuedProperty"
		}
	}
	if p.Array {
		t += "[]"
	}
	return t
}

// parameterSets lists a cmdlet's parameter set names, the default first;
// one unnamed set when no parameter names any.
func parameterSets(ci *interp.CmdletInfo) []string {
	var sets []string
	seen := map[string]bool{}
	for _, p := range ci.Params {
		for _, s := range p.Sets {
			if !seen[s] {
				seen[s] = true
				sets = append(sets, s)
			}
		}
	}
	if len(sets) == 0 {
		return []string{""}
	}
	for i, s := range sets {
		if s == ci.DefaultParameterSet && i > 0 {
			sets = append([]string{s}, append(sets[:i:i], sets[i+1:]...)...)
			break
		}
	}
	return sets
}

func inSet(p *interp.ParamInfo, set string) bool {
	if set == "" || len(p.Sets) == 0 {
		return true
	}
	for _, s := range p.Sets {
		if s == set {
			return true
		}
	}
	return false
}

// syntaxLines renders one PowerShell syntax line per parameter set:
// Name [-Positional] <Type> [[-Optional] <Type>] -Named <Type> [-Switch] [<CommonParameters>].
func syntaxLines(ci *interp.CmdletInfo) []string {
	var out []string
	for _, set := range parameterSets(ci) {
		var ps []*interp.ParamInfo
		for _, p := range ci.Params {
			if inSet(p, set) {
				ps = append(ps, p)
			}
		}
		sort.SliceStable(ps, func(i, j int) bool {
			pi, pj := ps[i].Position, ps[j].Position
			switch {
			case pi >= 0 && pj >= 0:
				return pi < pj
			case pi >= 0:
				return true
			}
			return false
		})
		parts := []string{ci.Name}
		for _, p := range ps {
			parts = append(parts, syntaxOf(ci, p))
		}
		if ci.SupportsShouldProcess {
			parts = append(parts, "[-WhatIf]", "[-Confirm]")
		}
		parts = append(parts, "[<CommonParameters>]")
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func syntaxOf(ci *interp.CmdletInfo, p *interp.ParamInfo) string {
	name := "-" + p.Name
	if p.Position >= 0 {
		name = "[" + name + "]"
	}
	var s string
	switch {
	case p.Kind == interp.KindSwitch:
		s = "-" + p.Name
	case p.Kind == interp.KindEnum && len(p.Values) > 0 && (p.TypeName == "" || !strings.Contains(ci.Module, "Exchange")):
		// Exchange's help names the enum type (<AuthMechanisms>);
		// PowerShell's lists the values.
		s = name + " {" + strings.Join(p.Values, " | ") + "}"
	default:
		s = name + " <" + paramTypeName(ci, p) + ">"
	}
	if !p.Mandatory {
		s = "[" + s + "]"
	}
	return s
}

// helpText renders Get-Help's text for a command, as Windows PowerShell 5.1
// lays it out. mode is "", "detailed", "full" or "examples".
func helpText(ci *interp.CmdletInfo, mode string, width int) string {
	var b strings.Builder
	wrap := func(text string, indent int) {
		pad := strings.Repeat(" ", indent)
		w := max(20, width-1-indent)
		for _, para := range strings.Split(text, "\n") {
			if strings.TrimSpace(para) == "" {
				b.WriteString("\n")
				continue
			}
			for _, l := range wrapWords(para, w) {
				b.WriteString(pad + l + "\n")
			}
		}
	}
	b.WriteString("\nNAME\n    " + ci.Name + "\n\nSYNOPSIS\n")
	wrap(orNone(ci.Synopsis), 4)
	if mode == "examples" {
		b.WriteString("\n")
		writeExamples(&b, ci, wrap)
		return b.String()
	}
	b.WriteString("\n\nSYNTAX\n")
	for i, l := range syntaxLines(ci) {
		if i > 0 {
			b.WriteString("\n")
		}
		wrap(l, 4)
	}
	b.WriteString("\n\nDESCRIPTION\n")
	wrap(orNone(ci.Description), 4)
	if mode == "detailed" || mode == "full" {
		b.WriteString("\n\nPARAMETERS\n")
		for _, p := range ci.Params {
			writeParam(&b, ci, p, mode == "full", wrap)
		}
		if ci.SupportsShouldProcess {
			for _, p := range shouldProcessParams(ci) {
				writeParam(&b, ci, p, mode == "full", wrap)
			}
		}
		b.WriteString("    <CommonParameters>\n")
		wrap("This cmdlet supports the common parameters: Verbose, Debug, ErrorAction, ErrorVariable, WarningAction, WarningVariable, OutBuffer, PipelineVariable, and OutVariable. For more information, see about_CommonParameters (https:/go.microsoft.com/fwlink/?LinkID=113216).", 8)
		if mode == "full" {
			b.WriteString("\nINPUTS\n")
			var in []string
			for _, p := range ci.Params {
				if p.FromPipeline || p.FromPipelineByPropertyName {
					in = append(in, paramTypeName(ci, p))
				}
			}
			if len(in) > 0 {
				b.WriteString("    " + strings.Join(uniq(in), ", ") + "\n")
			}
			b.WriteString("\n\nOUTPUTS\n")
			if ci.OutputType != "" {
				b.WriteString("    " + ci.OutputType + "\n")
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
		writeExamples(&b, ci, wrap)
		b.WriteString("REMARKS\n")
		fmt.Fprintf(&b, "    To see the examples, type: \"get-help %s -examples\".\n", ci.Name)
		fmt.Fprintf(&b, "    For more information, type: \"get-help %s -detailed\".\n", ci.Name)
		fmt.Fprintf(&b, "    For technical information, type: \"get-help %s -full\".\n\n", ci.Name)
		return b.String()
	}
	b.WriteString("\n\nRELATED LINKS\n\nREMARKS\n")
	fmt.Fprintf(&b, "    To see the examples, type: \"get-help %s -examples\".\n", ci.Name)
	fmt.Fprintf(&b, "    For more information, type: \"get-help %s -detailed\".\n", ci.Name)
	fmt.Fprintf(&b, "    For technical information, type: \"get-help %s -full\".\n\n", ci.Name)
	return b.String()
}

func writeParam(b *strings.Builder, ci *interp.CmdletInfo, p *interp.ParamInfo, full bool, wrap func(string, int)) {
	head := "    -" + p.Name
	if p.Kind != interp.KindSwitch {
		head += " <" + paramTypeName(ci, p) + ">"
	}
	b.WriteString(head + "\n")
	wrap(orNone(p.Help), 8)
	if p.Kind == interp.KindEnum && len(p.Values) > 0 {
		wrap("Valid values: "+strings.Join(p.Values, ", "), 8)
	}
	if len(p.Aliases) > 0 {
		wrap("Aliases: "+strings.Join(p.Aliases, ", "), 8)
	}
	b.WriteString("\n")
	if full {
		pos := "named"
		if p.Position >= 0 {
			pos = fmt.Sprint(p.Position + 1)
		}
		def := p.Default
		if def == "" {
			def = "None"
		}
		fmt.Fprintf(b, "        Required?                    %s\n", strings.ToLower(fmt.Sprint(p.Mandatory)))
		fmt.Fprintf(b, "        Position?                    %s\n", pos)
		fmt.Fprintf(b, "        Default value                %s\n", def)
		fmt.Fprintf(b, "        Accept pipeline input?       %s\n", pipelineInput(p))
		fmt.Fprintf(b, "        Accept wildcard characters?  %s\n\n", strings.ToLower(fmt.Sprint(strings.Contains(strings.ToLower(p.Help), "wildcard"))))
	}
}

func pipelineInput(p *interp.ParamInfo) string {
	var ways []string
	if p.FromPipeline {
		ways = append(ways, "ByValue")
	}
	if p.FromPipelineByPropertyName {
		ways = append(ways, "ByPropertyName")
	}
	if len(ways) == 0 {
		return "False"
	}
	return "True (" + strings.Join(ways, ", ") + ")"
}

func writeExamples(b *strings.Builder, ci *interp.CmdletInfo, wrap func(string, int)) {
	if len(ci.Examples) == 0 {
		return
	}
	for i, ex := range ci.Examples {
		fmt.Fprintf(b, "    -------------------------- EXAMPLE %d --------------------------\n\n", i+1)
		for _, l := range strings.Split(ex.Code, "\n") {
			b.WriteString("    PS C:\\>" + l + "\n")
		}
		b.WriteString("\n")
		if ex.Remarks != "" {
			wrap(ex.Remarks, 4)
		}
		b.WriteString("\n\n")
	}
}

func wrapWords(s string, w int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= w:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func getHelp() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-Help",
		Aliases:  []string{"help", "man"},
		Module:   ModuleCore,
		Synopsis: "Displays information about PowerShell commands.",
		Description: "The Get-Help cmdlet displays information about commands: their synopsis, syntax (one line per parameter set), description, " +
			"parameters and examples, all generated from the command's declaration. -Detailed adds parameter descriptions and examples, " +
			"-Full adds each parameter's attributes, -Examples shows only the examples, -Parameter shows one parameter.",
		Params: params(
			param("Name", interp.KindString, "Gets help about the specified command. Wildcards list the matching commands.").at(0),
			param("Detailed", interp.KindSwitch, "Adds parameter descriptions and examples to the basic help display.").sets("DetailedView"),
			param("Full", interp.KindSwitch, "Displays the entire help article for a cmdlet.").sets("AllUsersView"),
			param("Examples", interp.KindSwitch, "Displays only the name, synopsis, and examples.").sets("Examples"),
			param("Parameter", interp.KindString, "Displays only the detailed descriptions of the specified parameters. Wildcards are permitted.").sets("Parameters"),
			param("Category", interp.KindString, "Displays help only for items in the specified category (accepted).").array(),
			param("Online", interp.KindSwitch, "Displays the online version of a help article (not available in exsh).").sets("Online"),
		),
		Examples: []interp.Example{
			{Code: "Get-Help New-ReceiveConnector -Full", Remarks: "Shows everything about New-ReceiveConnector."},
			{Code: "Get-Help Get-Queue -Parameter Filter", Remarks: "Explains one parameter."},
			{Code: "help *Connector*", Remarks: "Lists the commands whose name contains Connector."},
		},
		OutputType: "System.String",
		Process: func(c *interp.Call) error {
			name := c.String("Name")
			if name == "" {
				name = "Get-Help"
			}
			var ci *interp.CmdletInfo
			if s := c.Session(); s != nil && !wildcard.HasWildcard(name) {
				ci = s.LookupCommand(name)
			}
			if ci == nil {
				var matches []*interp.CmdletInfo
				for _, cand := range commandsOf(c) {
					if wildcard.Match(name, cand.Name) {
						matches = append(matches, cand)
					}
				}
				if len(matches) == 1 {
					ci = matches[0]
				} else if len(matches) > 1 {
					sort.SliceStable(matches, func(i, j int) bool { return strings.ToLower(matches[i].Name) < strings.ToLower(matches[j].Name) })
					for _, m := range matches {
						o := object.New(typeHelpInfo, "System.Object")
						o.Add("Name", m.Name).Add("Category", commandType(m)).Add("Module", commandModule(m)).Add("Synopsis", m.Synopsis)
						if err := c.WriteObject(o); err != nil {
							return err
						}
					}
					return nil
				}
			}
			if ci == nil {
				return interp.NewError("ResourceUnavailable", "HelpNotFoundException", errorID("HelpNotFound", "GetHelpCommand"), name,
					"Get-Help could not find %s in a help file in this session. To download updated help topics type: \"Update-Help\". To get help online, search for the help topic in the TechNet library at https:/go.microsoft.com/fwlink/?LinkID=107116.", name)
			}
			if c.Bool("Online") {
				return interp.NewError("InvalidOperation", "PSInvalidOperationException", errorID("InvalidOperation", "GetHelpCommand"), name,
					"The online version of this Help topic cannot be displayed because exsh has no online help.")
			}
			width := c.Width
			if width <= 0 {
				width = 120
			}
			if c.Has("Parameter") {
				var b strings.Builder
				pat := c.String("Parameter")
				found := false
				for _, p := range ci.Params {
					if wildcard.Match(pat, p.Name) {
						found = true
						b.WriteString("\n")
						writeParam(&b, ci, p, true, func(text string, indent int) {
							for _, l := range wrapWords(text, max(20, width-1-indent)) {
								b.WriteString(strings.Repeat(" ", indent) + l + "\n")
							}
						})
					}
				}
				if !found {
					return interp.NewError("InvalidArgument", "PSArgumentException", errorID("NoParmsFound", "GetHelpCommand"), pat,
						"No parameter matches criteria %s.", pat)
				}
				return c.WriteObject(strings.TrimRight(b.String(), "\n") + "\n")
			}
			mode := ""
			switch {
			case c.Bool("Full"):
				mode = "full"
			case c.Bool("Detailed"):
				mode = "detailed"
			case c.Bool("Examples"):
				mode = "examples"
			}
			return c.WriteObject(strings.TrimRight(helpText(ci, mode, width), "\n") + "\n")
		},
	}
}

// shortTypeName is the name Get-Help shows for a parameter's .NET type:
// without namespace, nesting class or generic arguments, so
// "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPBinding]"
// is MultiValuedProperty and "System.String[]" is String[].
func shortTypeName(full string) string {
	arr := ""
	for strings.HasSuffix(full, "[]") {
		full = strings.TrimSuffix(full, "[]")
		arr += "[]"
	}
	if i := strings.IndexByte(full, '`'); i >= 0 {
		full = full[:i]
	} else if i := strings.IndexByte(full, '['); i >= 0 {
		full = full[:i]
	}
	if i := strings.LastIndexAny(full, ".+"); i >= 0 {
		full = full[i+1:]
	}
	return full + arr
}

// shouldProcessParams describes -WhatIf and -Confirm for Get-Help.
func shouldProcessParams(ci *interp.CmdletInfo) []*interp.ParamInfo {
	confirm := "Prompts you for confirmation before running the cmdlet."
	if strings.EqualFold(ci.ConfirmImpact, "High") {
		confirm = "The Confirm switch specifies whether to show or hide the confirmation prompt. This cmdlet has a built-in pause, " +
			"so an interactive shell asks you to acknowledge the command before it proceeds; use -Confirm:$false to skip the prompt. " +
			"Scripts and -Command runs, which have no terminal to ask, proceed without prompting, but should still pass -Confirm:$false as on a real Exchange server."
	}
	return []*interp.ParamInfo{
		{Name: "WhatIf", Kind: interp.KindSwitch, Position: -1, Aliases: []string{"wi"},
			Help: "Shows what would happen if the cmdlet runs. The cmdlet is not run."},
		{Name: "Confirm", Kind: interp.KindSwitch, Position: -1, Aliases: []string{"cf"}, Help: confirm},
	}
}
