package interp

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"exsh/shell/object"
	"exsh/shell/syntax"
)

// scriptFile reports whether a command name is a script file to run: a
// path (with a directory part, as PowerShell runs no script from the
// current directory by its bare name) to an existing .ps1 file, relative
// to the session's location ($PWD). Either slash separates.
func (f *frame) scriptFile(name string) (string, bool) {
	if !strings.EqualFold(filepath.Ext(name), ".ps1") || !strings.ContainsAny(name, `/\`) {
		return "", false
	}
	p := name
	if os.PathSeparator == '/' {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(f.s.location(), p)
	}
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	return p, true
}

// location is the session's current directory: $PWD (a PathInfo or a
// string), else the process's.
func (s *Session) location() string {
	if v := s.global.lookup("PWD"); v != nil && v.value != nil {
		if o, ok := v.value.(*object.PSObject); ok {
			if p, ok := o.Get("Path"); ok && object.ToString(p) != "" {
				return object.ToString(p)
			}
		}
		if p := object.ToString(v.value); p != "" {
			return p
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// scriptFileInfo makes the command that runs a script file: its body with
// its param() block, as a script block whose errors name the file.
func (s *Session) scriptFileInfo(path string) (*CmdletInfo, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, NewError("ReadError", "IOException", "ScriptFileUnreadable", path, "%s", err.Error())
	}
	src := strings.TrimPrefix(string(text), "\ufeff")
	ast, err := syntax.Parse(src, path)
	if err != nil {
		var pe *syntax.ParseError
		if errors.As(err, &pe) {
			// As PowerShell shows a script file that does not parse: the
			// file's position, then the parser's message.
			text := formatParseError(pe, &source{file: path, text: src})
			text, _, _ = strings.Cut(text, "    + CategoryInfo")
			id := pe.ErrorID
			if id == "" {
				id = "ParseException"
			}
			rec := NewError("ParserError", "ParseException", id, "", "%s", strings.TrimSuffix(text, "\n"))
			rec.noActivity = true
			return nil, rec
		}
		return nil, err
	}
	sb := &ScriptBlock{text: src, ast: ast, src: &source{file: path, text: src}}
	var params []*syntax.Param
	if ast.Param != nil {
		params = ast.Param.Params
	}
	f := &frame{s: s, sc: s.global, src: sb.src}
	fn := s.newFunction(filepath.Base(path), false, ast, params, sb.src, f)
	fn.script = path
	return fn.info, nil
}
