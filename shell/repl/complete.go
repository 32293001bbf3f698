package repl

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Catalog is what tab completion draws from: the command table, the
// session's variables and value completion for parameters. A local
// session and a session attached to a server each provide one.
type Catalog interface {
	// Commands returns every command with its parameters.
	Commands() []*CommandInfo
	// Variables returns the names of the defined variables, without '$'.
	Variables() []string
	// CompleteValue returns candidate values of a parameter that start
	// with prefix (identities of existing objects, for example).
	CompleteValue(ctx context.Context, command, param, prefix string) []string
}

// CommandInfo describes a command for completion.
type CommandInfo struct {
	Name     string
	Aliases  []string
	Synopsis string
	Params   []*ParamInfo
}

// ParamInfo describes a parameter for completion.
type ParamInfo struct {
	Name string
	Help string
	// Values are the accepted names of an enumerated parameter.
	Values []string
	// Array: the parameter takes a comma-separated list.
	Array bool
	// Switch: the parameter takes no value.
	Switch bool
	// Completable: Catalog.CompleteValue can offer values.
	Completable bool
	// Path: the value is a file path.
	Path bool
	// Command: the value is a command name (Get-Help -Name).
	Command bool
	// Position is the 0-based position for positional binding, -1 when
	// the parameter is named only.
	Position int
}

// Suggestion is one completion candidate: Text replaces the word before
// the cursor (see WordSeparators).
type Suggestion struct {
	Text        string
	Description string
}

// WordSeparators are the characters that end the word a suggestion
// replaces. A comma is one, so that each element of a list such as
// -AuthMechanism Tls,BasicAuth completes on its own; so is a colon, for
// -Param:value.
const WordSeparators = " \t|;(){}[]'\",:=@!"

// currentWord returns the text after the last word separator.
func currentWord(text string) string {
	i := strings.LastIndexAny(text, WordSeparators)
	return text[i+1:]
}

// Complete returns the suggestions for the text before the cursor. With
// explicit false (the user is typing, not pressing Tab) an empty word gets
// no suggestions, so that the menu doesn't pop up after every space.
func Complete(ctx context.Context, cat Catalog, text string, explicit bool) []Suggestion {
	if cat == nil {
		return nil
	}
	word := currentWord(text)
	if word == "" && !explicit {
		return nil
	}
	seg := analyze(text)

	// $variables anywhere outside single quotes.
	if seg.quote != '\'' {
		if i := strings.LastIndexByte(text, '$'); i >= 0 && isVarName(text[i+1:]) && len(text)-i-1 <= len(word) {
			return completeVariables(cat, text[i+1:], word)
		}
	}
	if seg.quote == 0 && len(seg.tokens) == 0 && seg.cur != "" && !strings.ContainsAny(seg.cur[:1], "$(@'\"0123456789[.&") {
		return completeCommands(cat, seg.cur)
	}
	if len(seg.tokens) == 0 {
		return nil
	}
	cmd := findCommand(cat, seg.tokens[0])
	if cmd == nil {
		if seg.quote == 0 && isPathLike(word) {
			return completePaths(word)
		}
		return nil
	}
	args := seg.tokens[1:]

	// -Param:value
	if seg.quote == 0 && strings.HasPrefix(seg.cur, "-") {
		if name, _, ok := strings.Cut(seg.cur[1:], ":"); ok {
			if p := findParam(cmd, name); p != nil {
				return completeValue(ctx, cat, cmd, p, seg, word)
			}
			return nil
		}
		return completeParams(cmd, args, seg.cur[1:])
	}
	// A value after -Param.
	if n := len(args); n > 0 && strings.HasPrefix(args[n-1], "-") && !strings.Contains(args[n-1], ":") {
		if p := findParam(cmd, args[n-1][1:]); p != nil && !p.Switch {
			return completeValue(ctx, cat, cmd, p, seg, word)
		}
	}
	// A positional argument.
	if p := positional(cmd, args); p != nil {
		return completeValue(ctx, cat, cmd, p, seg, word)
	}
	if seg.quote == 0 && isPathLike(word) {
		return completePaths(word)
	}
	return nil
}

// segment is the command being typed: the tokens of the current pipeline
// element before the cursor, and the partial token under it.
type segment struct {
	tokens []string // complete tokens, the command name first
	cur    string   // the token being typed, with its opening quote if any
	quote  byte     // the quote character the cursor is inside, or 0
}

// analyze splits the pipeline element the cursor is in into tokens. It
// understands quotes (with backtick escapes in double quotes), nesting of
// (), {} and @(), and pipeline and statement separators; anything nested
// is one token of the enclosing command.
func analyze(text string) segment {
	type frame struct{ start int }
	var stack []frame
	start := 0
	var quote byte
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case quote == '"':
			if c == '`' {
				i++
			} else if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '`':
			i++
		case c == '(' || c == '{':
			stack = append(stack, frame{start})
			start = i + 1
		case c == ')' || c == '}':
			if n := len(stack); n > 0 {
				start = stack[n-1].start
				stack = stack[:n-1]
			}
		case c == '|' || c == ';' || c == '\n':
			start = i + 1
		}
	}
	seg := segment{quote: quote}
	toks, cur := splitTokens(text[start:])
	seg.tokens, seg.cur = toks, cur
	return seg
}

// splitTokens splits a pipeline element at blanks outside quotes and
// brackets; the last, unfinished token is returned separately ("" when
// the text ends in a blank).
func splitTokens(s string) (tokens []string, cur string) {
	depth := 0
	var quote byte
	tokStart := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if tokStart < 0 && c != ' ' && c != '\t' {
			tokStart = i
		}
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case quote == '"':
			if c == '`' {
				i++
			} else if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '`':
			i++
		case c == '(' || c == '{':
			depth++
		case c == ')' || c == '}':
			if depth > 0 {
				depth--
			}
		case (c == ' ' || c == '\t') && depth == 0:
			if tokStart >= 0 {
				tokens = append(tokens, s[tokStart:i])
				tokStart = -1
			}
		}
	}
	if tokStart >= 0 && tokStart < len(s) {
		cur = s[tokStart:]
	}
	return tokens, cur
}

func isVarName(s string) bool {
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '?' || r == ':') {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func completeVariables(cat Catalog, prefix, word string) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{}
	names := cat.Variables()
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	for _, name := range names {
		key := strings.ToLower(name)
		if seen[key] || !hasPrefixFold(name, prefix) {
			continue
		}
		seen[key] = true
		// The word may or may not include the '$' (it does unless a
		// separator such as '@' or ':' precedes it).
		text := name
		if strings.HasPrefix(word, "$") {
			text = "$" + name
		}
		out = append(out, Suggestion{Text: text, Description: "variable"})
	}
	return out
}

func completeCommands(cat Catalog, prefix string) []Suggestion {
	var out []Suggestion
	for _, c := range cat.Commands() {
		if hasPrefixFold(c.Name, prefix) {
			out = append(out, Suggestion{Text: c.Name, Description: c.Synopsis})
		}
		for _, a := range c.Aliases {
			if hasPrefixFold(a, prefix) && !strings.EqualFold(a, c.Name) {
				out = append(out, Suggestion{Text: a, Description: "Alias of " + c.Name})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Text) < strings.ToLower(out[j].Text) })
	return out
}

func findCommand(cat Catalog, name string) *CommandInfo {
	for _, c := range cat.Commands() {
		if strings.EqualFold(c.Name, name) {
			return c
		}
		for _, a := range c.Aliases {
			if strings.EqualFold(a, name) {
				return c
			}
		}
	}
	return nil
}

// findParam finds a parameter by name or unambiguous prefix, as the
// binder does.
func findParam(cmd *CommandInfo, name string) *ParamInfo {
	var found *ParamInfo
	for _, p := range cmd.Params {
		if strings.EqualFold(p.Name, name) {
			return p
		}
		if hasPrefixFold(p.Name, name) {
			if found != nil {
				return nil
			}
			found = p
		}
	}
	return found
}

func completeParams(cmd *CommandInfo, args []string, prefix string) []Suggestion {
	used := map[string]bool{}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			name, _, _ := strings.Cut(a[1:], ":")
			if p := findParam(cmd, name); p != nil {
				used[strings.ToLower(p.Name)] = true
			}
		}
	}
	var out []Suggestion
	for _, p := range cmd.Params {
		if used[strings.ToLower(p.Name)] || !hasPrefixFold(p.Name, prefix) {
			continue
		}
		out = append(out, Suggestion{Text: "-" + p.Name, Description: p.Help})
	}
	return out
}

// positional returns the parameter the argument being typed binds to by
// position, or nil.
func positional(cmd *CommandInfo, args []string) *ParamInfo {
	pos := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 && !isNumber(a) {
			name, _, hasColon := strings.Cut(a[1:], ":")
			if p := findParam(cmd, name); p != nil && !p.Switch && !hasColon {
				i++ // its value
			}
			continue
		}
		pos++
	}
	for _, p := range cmd.Params {
		if p.Position == pos {
			return p
		}
	}
	return nil
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

func completeValue(ctx context.Context, cat Catalog, cmd *CommandInfo, p *ParamInfo, seg segment, word string) []Suggestion {
	switch {
	case p.Command:
		if seg.quote != 0 || word == "" {
			return nil
		}
		return completeCommands(cat, word)
	case len(p.Values) > 0:
		var out []Suggestion
		for _, v := range p.Values {
			if hasPrefixFold(v, word) {
				out = append(out, Suggestion{Text: v, Description: p.Name})
			}
		}
		return out
	case p.Completable:
		// The prefix is the whole value typed so far: inside quotes it may
		// hold blanks and separators that the word does not.
		prefix := word
		if seg.quote != 0 {
			prefix = unescapeQuoted(seg.cur[strings.IndexByte(seg.cur, seg.quote)+1:], seg.quote)
		}
		var out []Suggestion
		for _, v := range cat.CompleteValue(ctx, cmd.Name, p.Name, prefix) {
			if !hasPrefixFold(v, prefix) {
				continue
			}
			text := v
			if seg.quote != 0 {
				// Replace only the word: keep what precedes it in the
				// quote, and close the quote after the value.
				text = v[len(prefix)-len(word):len(prefix)] + escapeQuoted(v[len(prefix):], seg.quote) + string(seg.quote)
			} else if needsQuotes(v) {
				text = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			}
			out = append(out, Suggestion{Text: text, Description: p.Name})
		}
		return out
	case p.Path:
		if seg.quote != 0 {
			return nil
		}
		return completePaths(word)
	}
	return nil
}

// escapeQuoted escapes s for the inside of a quoted string: a single
// quote is doubled in single quotes; a double quote, backtick or dollar
// sign takes a backtick in double quotes.
func escapeQuoted(s string, quote byte) string {
	if quote == '\'' {
		return strings.ReplaceAll(s, "'", "''")
	}
	var b strings.Builder
	for _, r := range s {
		if r == '"' || r == '`' || r == '$' {
			b.WriteByte('`')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unescapeQuoted is the value of the quoted text s typed so far.
func unescapeQuoted(s string, quote byte) string {
	if quote == '\'' {
		return strings.ReplaceAll(s, "''", "'")
	}
	var b strings.Builder
	esc := false
	for _, r := range s {
		if r == '`' && !esc {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

func needsQuotes(s string) bool {
	return strings.ContainsAny(s, " \t'\"`$|;(){},@#")
}

func isPathLike(word string) bool {
	return strings.HasPrefix(word, "/") || strings.HasPrefix(word, "./") || strings.HasPrefix(word, "../") ||
		strings.HasPrefix(word, "~/") || strings.HasPrefix(word, ".\\")
}

// completePaths lists the files and directories whose names start with
// the word's last element; directories end in '/'.
func completePaths(word string) []Suggestion {
	dir, base := filepath.Split(word)
	lookIn := dir
	if lookIn == "" {
		lookIn = "."
	} else if strings.HasPrefix(lookIn, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			lookIn = filepath.Join(home, lookIn[2:])
		}
	}
	entries, err := os.ReadDir(lookIn)
	if err != nil {
		return nil
	}
	var out []Suggestion
	for _, e := range entries {
		name := e.Name()
		if !hasPrefixFold(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		desc := "file"
		if e.IsDir() {
			name += "/"
			desc = "directory"
		}
		if needsQuotes(name) {
			continue // a blank would end the word; type the quote first
		}
		out = append(out, Suggestion{Text: dir + name, Description: desc})
		if len(out) == 200 {
			break
		}
	}
	return out
}
