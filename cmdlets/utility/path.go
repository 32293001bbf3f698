package utility

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

// The current location is per session, not per process: it lives in the
// session's $PWD variable (a PathInfo object, as in PowerShell), so two
// sessions served by one process each keep their own.
const locationVar = "PWD"

// providerPrefix is what PowerShell puts before PSPath values; paths that
// carry it (a FileInfo's PSPath bound by property name) are accepted.
const providerPrefix = `Microsoft.PowerShell.Core\FileSystem::`

// Location returns the session's current location: the global $PWD when
// Set-Location has set it, else the process working directory. The REPL
// shows it in the prompt.
func Location(s *interp.Session) string {
	if s != nil {
		// $PWD reads the global PathInfo Set-Location stores, falling
		// back to the process directory.
		if v, ok := s.GetVar(locationVar); ok && v != nil {
			if p := locationOf(v); p != "" {
				return p
			}
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return string(os.PathSeparator)
	}
	return wd
}

func locationOf(v any) string {
	if o, ok := v.(*object.PSObject); ok {
		if p, ok := o.Get("Path"); ok {
			return object.ToString(p)
		}
	}
	return object.ToString(v)
}

// SetLocation makes dir the session's current location.
func SetLocation(s *interp.Session, dir string) {
	s.SetVar(locationVar, pathInfo(dir))
}

type pathString string

func (p pathString) String() string { return string(p) }

func pathInfo(dir string) *object.PSObject {
	o := object.New("System.Management.Automation.PathInfo", "System.Object")
	o.Add("Drive", "").Add("Provider", `Microsoft.PowerShell.Core\FileSystem`).Add("ProviderPath", dir).Add("Path", dir)
	o.Base = pathString(dir)
	return o
}

func init() {
	format.Register("System.Management.Automation.PathInfo", format.View{Table: []format.Column{{Property: "Path"}}})
	// System.Version ($PSVersionTable.PSVersion) as Windows PowerShell
	// shows it: four left-aligned columns.
	format.Register("System.Version", format.View{Table: []format.Column{
		{Property: "Major", Width: 6, Align: format.AlignLeft},
		{Property: "Minor", Width: 6, Align: format.AlignLeft},
		{Property: "Build", Width: 6, Align: format.AlignLeft},
		{Property: "Revision", Width: 8, Align: format.AlignLeft},
	}})
}

// location is Location for a call; without a session (tests) it reads
// $PWD through the call.
func location(c *interp.Call) string {
	if s := c.Session(); s != nil {
		return Location(s)
	}
	if v, ok := c.GetVariable(locationVar); ok && v != nil {
		if p := locationOf(v); p != "" {
			return p
		}
	}
	wd, _ := os.Getwd()
	return wd
}

// ResolvePath turns a PowerShell path into an absolute native path: either
// slash separates, "~" is the home directory, a provider prefix is dropped,
// and relative paths start at the session's location.
func ResolvePath(s *interp.Session, p string) string { return resolveFrom(Location(s), p) }

func resolveFrom(base, p string) string {
	p = strings.TrimPrefix(p, providerPrefix)
	p = strings.TrimPrefix(p, "FileSystem::")
	if os.PathSeparator == '/' {
		p = strings.ReplaceAll(p, `\`, "/")
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = home + p[1:]
		}
	}
	if p == "" {
		p = "."
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

func resolve(c *interp.Call, p string) string { return resolveFrom(location(c), p) }

// expandPath resolves a path that may hold wildcards in any component and
// returns the existing matches in order. Components are matched
// case-insensitively (as on Windows) when the exact name does not exist.
// literal turns wildcard expansion off (-LiteralPath).
func expandPath(c *interp.Call, p string, literal bool) ([]string, bool) {
	abs := resolve(c, p)
	if literal || !wildcard.HasWildcard(abs) {
		if _, err := os.Lstat(abs); err == nil {
			return []string{abs}, false
		}
		if fixed, ok := caseInsensitive(abs); ok {
			return []string{fixed}, false
		}
		return nil, false
	}
	parts := strings.Split(abs, string(os.PathSeparator))
	cur := []string{string(os.PathSeparator)}
	for _, part := range parts {
		if part == "" {
			continue
		}
		var next []string
		for _, dir := range cur {
			if !wildcard.HasWildcard(part) {
				cand := filepath.Join(dir, part)
				if _, err := os.Lstat(cand); err == nil {
					next = append(next, cand)
				} else if fixed, ok := matchName(dir, part); ok {
					next = append(next, fixed)
				}
				continue
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if wildcard.Match(part, e.Name()) {
					next = append(next, filepath.Join(dir, e.Name()))
				}
			}
		}
		cur = next
	}
	sort.Strings(cur)
	return cur, true
}

func caseInsensitive(abs string) (string, bool) {
	parts := strings.Split(abs, string(os.PathSeparator))
	cur := string(os.PathSeparator)
	for _, part := range parts {
		if part == "" {
			continue
		}
		cand := filepath.Join(cur, part)
		if _, err := os.Lstat(cand); err == nil {
			cur = cand
			continue
		}
		fixed, ok := matchName(cur, part)
		if !ok {
			return "", false
		}
		cur = fixed
	}
	return cur, true
}

func matchName(dir, name string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name(), name) {
			return filepath.Join(dir, e.Name()), true
		}
	}
	return "", false
}

func pathNotFound(p, class string) error {
	return interp.NewError("ObjectNotFound", "ItemNotFoundException", errorID("PathNotFound", class), p,
		"Cannot find path '%s' because it does not exist.", p)
}

// readText reads a file, honouring a byte order mark (UTF-8, UTF-16 LE/BE,
// UTF-32 LE), as Get-Content does.
func readText(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return decodeText(data), nil
}

func decodeText(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:])
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE, 0, 0}):
		var b strings.Builder
		for i := 4; i+3 < len(data); i += 4 {
			b.WriteRune(rune(binary.LittleEndian.Uint32(data[i:])))
		}
		return b.String()
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], binary.BigEndian)
	}
	if !utf8.Valid(data) {
		// Treat other bytes as Windows-1252's Latin-1 subset.
		r := make([]rune, len(data))
		for i, b := range data {
			r[i] = rune(b)
		}
		return string(r)
	}
	return string(data)
}

func decodeUTF16(data []byte, order binary.ByteOrder) string {
	u := make([]uint16, len(data)/2)
	for i := range u {
		u[i] = order.Uint16(data[2*i:])
	}
	return string(utf16.Decode(u))
}

// encodeText encodes text as -Encoding names it. The default (empty) is
// UTF-8 without a byte order mark; "UTF8" adds the mark, as Windows
// PowerShell 5.1 does.
func encodeText(text, encoding string) ([]byte, error) {
	switch strings.ToLower(encoding) {
	case "", "utf8nobom", "string", "unknown":
		return []byte(text), nil
	case "utf8", "utf8bom":
		return append([]byte{0xEF, 0xBB, 0xBF}, text...), nil
	case "unicode", "utf16", "utf-16":
		return encodeUTF16(text, binary.LittleEndian, []byte{0xFF, 0xFE}), nil
	case "bigendianunicode":
		return encodeUTF16(text, binary.BigEndian, []byte{0xFE, 0xFF}), nil
	case "utf32":
		out := []byte{0xFF, 0xFE, 0, 0}
		for _, r := range text {
			out = binary.LittleEndian.AppendUint32(out, uint32(r))
		}
		return out, nil
	case "ascii", "default", "oem", "byte", "utf7":
		out := make([]byte, 0, len(text))
		for _, r := range text {
			if r > 0x7f {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return nil, interp.NewError("InvalidArgument", "ParameterBindingException", "CannotConvertArgumentNoMessage", encoding,
		"Cannot bind parameter 'Encoding'. The value %q is not a valid encoding. Specify one of the following: Unknown, String, Unicode, BigEndianUnicode, UTF8, UTF7, UTF32, ASCII, Default, OEM.", encoding)
}

func encodeUTF16(text string, order binary.ByteOrder, bom []byte) []byte {
	out := append([]byte(nil), bom...)
	var buf [2]byte
	for _, u := range utf16.Encode([]rune(text)) {
		order.PutUint16(buf[:], u)
		out = append(out, buf[:]...)
	}
	return out
}

// writeTextFile writes (or appends) text to a file named by a PowerShell path.
func writeTextFile(c *interp.Call, p, text, encoding string, appendTo, noClobber bool) error {
	path := resolve(c, p)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return interp.NewError("OpenError", "UnauthorizedAccessException", "FileOpenFailure", p,
				"Access to the path '%s' is denied.", path)
		}
		if noClobber && !appendTo {
			return interp.NewError("ResourceExists", "IOException", "NoClobber", p,
				"The file '%s' already exists.", path)
		}
	}
	enc := encoding
	if appendTo {
		// Appending never repeats a byte order mark.
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			switch strings.ToLower(enc) {
			case "utf8", "utf8bom":
				enc = ""
			}
		}
	}
	data, err := encodeText(text, enc)
	if err != nil {
		return err
	}
	if appendTo {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			switch strings.ToLower(encoding) {
			case "unicode", "utf16", "bigendianunicode":
				data = data[2:]
			case "utf32":
				data = data[4:]
			}
		}
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return fileError(err, p)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fileError(err, p)
	}
	return fileError(f.Close(), p)
}

// fileError turns an os error into PowerShell's wording.
func fileError(err error, p string) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return interp.NewError("ObjectNotFound", "DirectoryNotFoundException", "DirectoryNotFound", p,
			"Could not find a part of the path '%s'.", p)
	case errors.Is(err, fs.ErrPermission):
		return interp.NewError("PermissionDenied", "UnauthorizedAccessException", "UnauthorizedAccess", p,
			"Access to the path '%s' is denied.", p)
	}
	return interp.NewError("WriteError", "IOException", "IOError", p, "%s", err.Error())
}
