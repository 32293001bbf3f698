package utility

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
)

const typeMatchInfo = "Microsoft.PowerShell.Commands.MatchInfo"

func init() {
	// MatchInfo prints as its ToString ("path:line:text"), set off by blank
	// lines, as PowerShell's MatchInfo view does.
	format.Register(typeMatchInfo, format.View{Custom: func(o *object.PSObject) string { return o.String() }})
}

// matchInfo is the Base of a MatchInfo object; it gives ToString.
type matchInfo struct {
	path      string // "" for pipeline strings (PowerShell's InputStream)
	display   string // path as shown: relative to the location when below it
	number    int
	line      string
	pre, post []string
}

func (m *matchInfo) String() string {
	prefix := func(n int) string {
		if m.path == "" {
			return ""
		}
		return fmt.Sprintf("%s:%d:", m.display, n)
	}
	if len(m.pre) == 0 && len(m.post) == 0 {
		return prefix(m.number) + m.line
	}
	var b strings.Builder
	for i, l := range m.pre {
		fmt.Fprintf(&b, "  %s%s\n", prefix(m.number-len(m.pre)+i), l)
	}
	fmt.Fprintf(&b, "> %s%s", prefix(m.number), m.line)
	for i, l := range m.post {
		fmt.Fprintf(&b, "\n  %s%s", prefix(m.number+1+i), l)
	}
	return b.String()
}

type selectStringState struct {
	match   func(string) [][]int
	pattern string
	found   bool
	stream  []string // pipeline lines kept for -Context
	streamN int
}

func selectString() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Select-String",
		Aliases:  []string{"sls"},
		Module:   ModuleUtility,
		Synopsis: "Finds text in strings and files.",
		Description: "The Select-String cmdlet searches for text patterns (regular expressions, or plain text with -SimpleMatch) in input strings and files, like grep. " +
			"Each match is a MatchInfo object that prints as path:line:text. Piped FileInfo objects (Get-ChildItem) are searched as files.",
		Params: params(
			param("Pattern", interp.KindString, "Specifies the text to find: a regular expression, or plain text with -SimpleMatch.").at(0).array().mandatory(),
			param("Path", interp.KindString, "Specifies the files to search. Wildcards are permitted.").at(1).array().byName(),
			param("LiteralPath", interp.KindString, "Specifies the files to search, used exactly as typed.").array().byName().alias("PSPath"),
			param("InputObject", interp.KindObject, "Specifies the text to be searched: strings, or FileInfo objects.").pipe(),
			param("SimpleMatch", interp.KindSwitch, "Indicates that the cmdlet uses a simple match rather than a regular expression match."),
			param("CaseSensitive", interp.KindSwitch, "Indicates that the cmdlet matches are case-sensitive."),
			param("NotMatch", interp.KindSwitch, "Finds text that does not match the specified pattern."),
			param("AllMatches", interp.KindSwitch, "Indicates that the cmdlet searches for more than one match in each line of text."),
			param("List", interp.KindSwitch, "Only the first instance of matching text is returned from each input file."),
			param("Quiet", interp.KindSwitch, "Indicates that the cmdlet returns a Boolean value (True or False), instead of a MatchInfo object."),
			param("Context", interp.KindInt, "Captures the specified number of lines before and after the line that matches the pattern (one value for both, or two).").array(),
			param("Encoding", interp.KindString, "Specifies the encoding of the files (accepted; byte order marks are detected)."),
		),
		Examples: []interp.Example{
			{Code: `Select-String -Path "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG" -Pattern "5.7.54"`, Remarks: "Finds relay denials in the receive protocol logs."},
			{Code: `Get-ChildItem *.LOG | Select-String "127.0.0.56" -SimpleMatch`, Remarks: "Finds the sessions of one device."},
		},
		OutputType: typeMatchInfo,
		Begin: func(c *interp.Call) error {
			st := &selectStringState{}
			pats := strs(c, "Pattern")
			st.pattern = strings.Join(pats, ", ")
			cs := c.Bool("CaseSensitive")
			if c.Bool("SimpleMatch") {
				st.match = func(s string) [][]int {
					hay := s
					if !cs {
						hay = strings.ToLower(s)
					}
					var out [][]int
					for _, p := range pats {
						needle := p
						if !cs {
							needle = strings.ToLower(p)
						}
						if i := strings.Index(hay, needle); i >= 0 && needle != "" {
							out = append(out, []int{i, i + len(needle)})
						}
					}
					return out
				}
			} else {
				var res []*regexp.Regexp
				for _, p := range pats {
					re, err := object.CompileRegex(p, cs)
					if err != nil {
						return interp.NewError("InvalidArgument", "ArgumentException", errorID("InvalidRegex", "SelectStringCommand"), p,
							"The string %s is not a valid regular expression: %v", p, err)
					}
					res = append(res, re)
				}
				all := c.Bool("AllMatches")
				st.match = func(s string) [][]int {
					for _, re := range res {
						if all {
							if m := re.FindAllStringIndex(s, -1); m != nil {
								return m
							}
						} else if m := re.FindStringIndex(s); m != nil {
							return [][]int{m}
						}
					}
					return nil
				}
			}
			c.State = st
			return nil
		},
		Process: func(c *interp.Call) error {
			st := c.State.(*selectStringState)
			if c.HasInput || c.Has("InputObject") {
				v, _ := input(c)
				if o, ok := v.(*object.PSObject); ok && o.TypeName() == typeFileInfo {
					fn, _ := o.Get("FullName")
					return searchFile(c, st, object.ToString(fn))
				}
				if v == nil {
					return nil
				}
				line := object.ToString(v)
				if len(c.List("Context")) > 0 {
					st.stream = append(st.stream, line)
					return nil
				}
				st.streamN++
				return searchLines(c, st, "", []string{line}, st.streamN-1)
			}
			paths, literal := pathArgs(c, "")
			for _, p := range paths {
				files, wild := expandPath(c, p, literal)
				if len(files) == 0 && !wild {
					c.WriteError(pathNotFound(resolve(c, p), "SelectStringCommand"))
				}
				for _, f := range files {
					if err := searchFile(c, st, f); err != nil {
						return err
					}
				}
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*selectStringState)
			if len(st.stream) > 0 {
				if err := searchLines(c, st, "", st.stream, 0); err != nil {
					return err
				}
			}
			if c.Bool("Quiet") {
				return c.WriteObject(st.found)
			}
			return nil
		},
	}
}

func searchFile(c *interp.Call, st *selectStringState, path string) error {
	text, err := readText(path)
	if err != nil {
		c.WriteError(fileError(err, path))
		return nil
	}
	return searchLines(c, st, path, splitLines(text), 0)
}

// searchLines matches lines (numbered from first+1) and writes MatchInfo
// objects; path is "" for pipeline strings.
func searchLines(c *interp.Call, st *selectStringState, path string, lines []string, first int) error {
	ctx := c.List("Context")
	before, after := 0, 0
	if len(ctx) > 0 {
		before, _ = object.ToInt(ctx[0])
		after = before
		if len(ctx) > 1 {
			after, _ = object.ToInt(ctx[1])
		}
	}
	display := path
	if path != "" {
		if rel, err := filepath.Rel(location(c), path); err == nil && !strings.HasPrefix(rel, "..") {
			display = rel
		}
	}
	for i, line := range lines {
		m := st.match(line)
		if (m != nil) == c.Bool("NotMatch") {
			continue
		}
		st.found = true
		if c.Bool("Quiet") {
			continue
		}
		mi := &matchInfo{path: path, display: display, number: first + i + 1, line: line}
		if before > 0 {
			mi.pre = lines[max(0, i-before):i]
		}
		if after > 0 {
			mi.post = lines[i+1 : min(len(lines), i+1+after)]
		}
		if err := c.WriteObject(matchObject(mi, st.pattern, !c.Bool("CaseSensitive"), m)); err != nil {
			return err
		}
		if c.Bool("List") {
			return nil
		}
	}
	return nil
}

type matchValue string

func (m matchValue) String() string { return string(m) }

func matchObject(mi *matchInfo, pattern string, ignoreCase bool, idx [][]int) *object.PSObject {
	o := object.New(typeMatchInfo, "System.Object")
	o.Base = mi
	filename, path := "InputStream", "InputStream"
	if mi.path != "" {
		filename, path = filepath.Base(mi.path), mi.path
	}
	var matches []any
	for _, m := range idx {
		val := mi.line[m[0]:m[1]]
		g := object.New("System.Text.RegularExpressions.Match", "System.Text.RegularExpressions.Group", "System.Object")
		g.Base = matchValue(val)
		g.Add("Groups", []any{val}).Add("Success", true).Add("Name", "0").Add("Captures", []any{val}).
			Add("Index", len([]rune(mi.line[:m[0]]))).Add("Length", len([]rune(val))).Add("Value", val)
		matches = append(matches, g)
	}
	var ctx any
	if len(mi.pre) > 0 || len(mi.post) > 0 {
		cx := object.New("Microsoft.PowerShell.Commands.MatchInfoContext", "System.Object")
		cx.Add("PreContext", toAnys(mi.pre)).Add("PostContext", toAnys(mi.post)).
			Add("DisplayPreContext", toAnys(mi.pre)).Add("DisplayPostContext", toAnys(mi.post))
		ctx = cx
	}
	o.Add("IgnoreCase", ignoreCase).Add("LineNumber", mi.number).Add("Line", mi.line).
		Add("Filename", filename).Add("Path", path).Add("Pattern", pattern).Add("Context", ctx).
		Add("Matches", matches)
	return o
}

func toAnys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
