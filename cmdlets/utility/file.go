package utility

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

const (
	typeFileInfo = "System.IO.FileInfo"
	typeDirInfo  = "System.IO.DirectoryInfo"
)

func init() {
	// Windows PowerShell 5.1's FileSystem view: Mode, LastWriteTime as
	// "{0,10}  {1,8}" of the short date and time, Length, Name, grouped by
	// directory.
	view := format.View{
		Table: []format.Column{
			{Property: "Mode", Width: 7},
			{Header: "LastWriteTime", Width: 25, Align: format.AlignRight, Expr: func(o *object.PSObject) any {
				v, _ := o.Get("LastWriteTime")
				t, ok := v.(time.Time)
				if !ok {
					return nil
				}
				return fmt.Sprintf("%10s  %8s", t.Format("1/2/2006"), t.Format("3:04 PM"))
			}},
			{Property: "Length", Width: 14, Align: format.AlignRight},
			{Property: "Name"},
		},
		GroupBy:    "PSParentPath",
		GroupLabel: "Directory",
		List:       []string{"Name", "Length", "CreationTime", "LastWriteTime", "LastAccessTime", "Mode", "FullName"},
		Wide:       "Name",
	}
	format.Register(typeFileInfo, view)
	dirView := view
	dirView.List = []string{"Name", "CreationTime", "LastWriteTime", "LastAccessTime", "Mode", "FullName"}
	format.Register(typeDirInfo, dirView)
}

func fileCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{
		getContent(), setContent("Set-Content"), setContent("Add-Content"),
		getChildItem(), testPath(), getLocation(), setLocation(), selectString(),
	}
}

// fileObject describes a file or directory as PowerShell's FileInfo /
// DirectoryInfo does.
func fileObject(path string, fi os.FileInfo) *object.PSObject {
	name := fi.Name()
	parent := filepath.Dir(path)
	isDir := fi.IsDir()
	tn := typeFileInfo
	if isDir {
		tn = typeDirInfo
	}
	o := object.New(tn, "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object")
	o.Base = pathString(path)
	o.Add("PSPath", providerPrefix+path)
	o.Add("PSParentPath", parent)
	o.Add("PSChildName", name)
	o.Add("PSIsContainer", isDir)
	o.Add("Mode", fileMode(fi))
	ext := filepath.Ext(name)
	o.Add("BaseName", strings.TrimSuffix(name, ext))
	o.Add("Name", name)
	if !isDir {
		o.Add("Length", fi.Size())
		o.Add("DirectoryName", parent)
		o.Add("Directory", directoryOf(parent))
		o.Add("IsReadOnly", fi.Mode().Perm()&0o200 == 0)
	} else {
		o.Add("Parent", parentOf(path, parent))
		o.Add("Root", string(os.PathSeparator))
	}
	o.Add("Exists", true)
	o.Add("FullName", path)
	o.Add("Extension", ext)
	mt := fi.ModTime()
	o.Add("CreationTime", mt)
	o.Add("LastAccessTime", mt)
	o.Add("LastWriteTime", mt)
	o.Add("LastWriteTimeUtc", mt.UTC())
	o.Add("Attributes", fileAttributes(fi))
	return o
}

func fileMode(fi os.FileInfo) string {
	m := []byte("------")
	if fi.IsDir() {
		m[0] = 'd'
	} else {
		m[1] = 'a'
	}
	if !fi.IsDir() && fi.Mode().Perm()&0o200 == 0 {
		m[2] = 'r'
	}
	if strings.HasPrefix(fi.Name(), ".") {
		m[3] = 'h'
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		m[5] = 'l'
	}
	return string(m)
}

func fileAttributes(fi os.FileInfo) string {
	var a []string
	if fi.Mode().Perm()&0o200 == 0 {
		a = append(a, "ReadOnly")
	}
	if strings.HasPrefix(fi.Name(), ".") {
		a = append(a, "Hidden")
	}
	if fi.IsDir() {
		a = append(a, "Directory")
	} else {
		a = append(a, "Archive")
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		a = append(a, "ReparsePoint")
	}
	return strings.Join(a, ", ")
}

// pathArgs returns the paths a call names (-Path or -LiteralPath, from
// arguments or from pipeline objects' PSPath/FullName), with literal set for
// -LiteralPath.
func pathArgs(c *interp.Call, def string) (paths []string, literal bool) {
	if c.Has("LiteralPath") {
		return strs(c, "LiteralPath"), true
	}
	if c.Has("Path") {
		return strs(c, "Path"), false
	}
	if def != "" {
		return []string{def}, false
	}
	return nil, false
}

// ---- Get-Content ----

func getContent() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-Content",
		Aliases:  []string{"gc", "cat", "type"},
		Module:   ModuleManagement,
		Synopsis: "Gets the content of the item at the specified location.",
		Description: "The Get-Content cmdlet gets the content of a file, one string per line (without the line ending). " +
			"-Raw returns the whole text as one string. Wildcards in -Path are expanded; both \\ and / separate directories.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path to an item. Wildcards are permitted.").at(0).array().byName(),
			param("LiteralPath", interp.KindString, "Specifies a path to an item, used exactly as typed.").array().byName().alias("PSPath", "FullName"),
			param("TotalCount", interp.KindInt64, "Specifies the number of lines from the beginning of a file.").alias("First", "Head").def("-1"),
			param("Tail", interp.KindInt, "Specifies the number of lines from the end of a file.").alias("Last"),
			param("Raw", interp.KindSwitch, "Ignores newline characters and returns the entire contents of a file in one string."),
			param("Encoding", interp.KindString, "Specifies the file encoding; files with a byte order mark are detected."),
			param("Wait", interp.KindSwitch, "Keeps the file open after the last line and writes new lines as they are added, until Ctrl+C (for watching a protocol log)."),
			param("ReadCount", interp.KindInt64, "Specifies how many lines of content are sent through the pipeline at a time: 1 (the default) sends each line, N sends arrays of N lines, 0 sends all the lines of a file in one array."),
		),
		Examples: []interp.Example{
			{Code: `Get-Content "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV2026112709-1.LOG" -Tail 20`, Remarks: "Shows the last twenty lines of a protocol log."},
			{Code: "Get-Content users.txt | ForEach-Object { Get-Mailbox $_ }", Remarks: "Reads one name per line."},
		},
		OutputType: "System.String",
		Process: func(c *interp.Call) error {
			paths, literal := pathArgs(c, "")
			for _, p := range paths {
				files, wild := expandPath(c, p, literal)
				if len(files) == 0 {
					if !wild {
						c.WriteError(pathNotFound(resolve(c, p), "GetContentCommand"))
					}
					continue
				}
				for _, f := range files {
					if err := emitContent(c, f); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

func emitContent(c *interp.Call, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		c.WriteError(interp.NewError("InvalidOperation", "UnauthorizedAccessException", errorID("GetContentReaderUnauthorizedAccessError", "GetContentCommand"), path,
			"Access to the path '%s' is denied.", path))
		return nil
	}
	text, err := readText(path)
	if err != nil {
		c.WriteError(fileError(err, path))
		return nil
	}
	if c.Bool("Raw") {
		return c.WriteObject(text)
	}
	lines := splitLines(text)
	if c.Has("TotalCount") {
		if n := intParam(c, "TotalCount", -1); n >= 0 && n < len(lines) {
			lines = lines[:n]
		}
	}
	if c.Has("Tail") {
		if n := intParam(c, "Tail", -1); n >= 0 && n < len(lines) {
			lines = lines[len(lines)-n:]
		}
	}
	if err := writeLines(c, lines); err != nil {
		return err
	}
	if c.Bool("Wait") {
		return follow(c, path, int64(len(text)))
	}
	return nil
}

// followInterval is how often Get-Content -Wait looks for new lines
// (PowerShell checks once a second; a lab wants to see replies sooner).
const followInterval = 250 * time.Millisecond

// follow writes the lines appended to path after offset until the call is
// cancelled. A partial last line waits for its line ending.
func follow(c *interp.Call, path string, offset int64) error {
	// The offset counts decoded text; re-read from the byte size instead.
	if fi, err := os.Stat(path); err == nil {
		offset = fi.Size()
	}
	var partial string
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.Ctx.Done():
			return c.Ctx.Err()
		case <-tick.C:
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err == nil && fi.Size() < offset {
			offset = 0 // truncated or rotated: start over
		}
		if err != nil || fi.Size() == offset {
			f.Close()
			continue
		}
		buf := make([]byte, fi.Size()-offset)
		n, _ := f.ReadAt(buf, offset)
		f.Close()
		offset += int64(n)
		text := partial + string(buf[:n])
		partial = ""
		if !strings.HasSuffix(text, "\n") {
			i := strings.LastIndexByte(text, '\n')
			partial, text = text[i+1:], text[:i+1]
		}
		for _, l := range splitLines(text) {
			if err := c.WriteObject(l); err != nil {
				return err
			}
		}
	}
}

// splitLines splits text at \n, \r\n or \r; a final line ending adds no
// empty line.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// ---- Set-Content / Add-Content ----

type contentState struct{ values []any }

func setContent(name string) *interp.CmdletInfo {
	add := name == "Add-Content"
	verb := "Writes new content or replaces existing content in a file."
	desc := "The Set-Content cmdlet writes new content or replaces the content in a file: each value becomes one line."
	alias := []string{"sc"}
	if add {
		verb = "Adds content to the specified items, such as adding words to a file."
		desc = "The Add-Content cmdlet appends content to a file, one line per value, creating the file when it does not exist."
		alias = []string{"ac"}
	}
	return &interp.CmdletInfo{
		Name:        name,
		Aliases:     alias,
		Module:      ModuleManagement,
		Synopsis:    verb,
		Description: desc,
		Params: params(
			param("Path", interp.KindString, "Specifies the path of the item that receives the content (or -LiteralPath). Wildcards are permitted.").at(0).array().byName(),
			param("LiteralPath", interp.KindString, "Specifies the path, used exactly as typed; use it instead of -Path.").array().byName().alias("PSPath"),
			param("Value", interp.KindObject, "Specifies the new content for the item.").at(1).array().mandatory().pipe(),
			param("Encoding", interp.KindString, "Specifies the file encoding: ASCII, UTF8, Unicode, BigEndianUnicode, UTF32, Default, OEM."),
			param("NoNewline", interp.KindSwitch, "The values are written without line endings or separators."),
			param("PassThru", interp.KindSwitch, "Returns the content that was written."),
			param("Force", interp.KindSwitch, "Forces the cmdlet to set the contents of a file, even if the file is read-only."),
		),
		Examples: []interp.Example{
			{Code: `Set-Content -Path C:\temp\note.txt -Value "first line"`, Remarks: "Replaces the file's content."},
			{Code: `Get-Date | Add-Content C:\temp\log.txt`, Remarks: "Appends the date as a line."},
		},
		Begin: func(c *interp.Call) error { c.State = &contentState{}; return nil },
		Process: func(c *interp.Call) error {
			st := c.State.(*contentState)
			if c.HasInput {
				st.values = append(st.values, object.ToList(c.Input)...)
			} else {
				st.values = append(st.values, list(c, "Value")...)
			}
			return nil
		},
		End: func(c *interp.Call) error {
			st := c.State.(*contentState)
			var b strings.Builder
			for _, v := range st.values {
				b.WriteString(object.ToString(v))
				if !c.Bool("NoNewline") {
					b.WriteByte('\n')
				}
			}
			paths, literal := pathArgs(c, "")
			if len(paths) == 0 {
				return missingPath(c.Info.Name)
			}
			for _, p := range paths {
				targets := []string{p}
				if !literal && wildcard.HasWildcard(p) {
					targets, _ = expandPath(c, p, false)
				}
				for _, t := range targets {
					if err := writeTextFile(c, t, b.String(), c.String("Encoding"), add, false); err != nil {
						c.WriteError(err)
					}
				}
			}
			if c.Bool("PassThru") {
				return writeAll(c, st.values)
			}
			return nil
		},
	}
}

// ---- Get-ChildItem ----

func getChildItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-ChildItem",
		Aliases:  []string{"gci", "ls", "dir"},
		Module:   ModuleManagement,
		Synopsis: "Gets the items and child items in one or more specified locations.",
		Description: "The Get-ChildItem cmdlet gets the files and directories in a location (directories first, each sorted by name). " +
			"A path with wildcards lists the matching items themselves. -Recurse descends into subdirectories. Both \\ and / separate directories.",
		Params: params(
			param("Path", interp.KindString, "Specifies a path to one or more locations. Wildcards are permitted. The default is the current location.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies a path, used exactly as typed.").array().byName().alias("PSPath"),
			param("Filter", interp.KindString, "Specifies a filter on the item names, such as *.LOG.").at(1),
			param("Include", interp.KindString, "Specifies name patterns to include.").array(),
			param("Exclude", interp.KindString, "Specifies name patterns to exclude.").array(),
			param("Recurse", interp.KindSwitch, "Gets the items in the specified locations and in all their child items.").alias("s"),
			param("Depth", interp.KindInt, "Limits how many levels -Recurse descends."),
			param("File", interp.KindSwitch, "Gets files only."),
			param("Directory", interp.KindSwitch, "Gets directories only.").alias("ad"),
			param("Force", interp.KindSwitch, "Gets hidden items (names starting with a dot) too."),
			param("Name", interp.KindSwitch, "Gets only the names of the items."),
		),
		Examples: []interp.Example{
			{Code: `Get-ChildItem "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive" | Sort-Object LastWriteTime | Select-Object -Last 1`, Remarks: "Finds the newest receive protocol log."},
			{Code: "Get-ChildItem -Recurse -Filter *.LOG", Remarks: "Lists every log file below the current location."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			paths, literal := pathArgs(c, ".")
			depth := -1
			if c.Has("Depth") {
				depth = intParam(c, "Depth", -1)
			}
			for _, p := range paths {
				items, wild := expandPath(c, p, literal)
				if len(items) == 0 {
					if !wild {
						c.WriteError(pathNotFound(resolve(c, p), "GetChildItemCommand"))
					}
					continue
				}
				for _, it := range items {
					fi, err := os.Stat(it)
					if err != nil {
						c.WriteError(fileError(err, it))
						continue
					}
					if fi.IsDir() && !wild {
						if err := listDir(c, it, depth, it); err != nil {
							return err
						}
						continue
					}
					if err := emitItem(c, it, fi, it); err != nil {
						return err
					}
					if fi.IsDir() && c.Bool("Recurse") {
						if err := listDir(c, it, depth, it); err != nil {
							return err
						}
					}
				}
			}
			return nil
		},
	}
}

// listDir writes a directory's children, directories first, then recurses.
func listDir(c *interp.Call, dir string, depth int, root string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		c.WriteError(fileError(err, dir))
		return nil
	}
	var dirs, files []os.DirEntry
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && !c.Bool("Force") {
			continue
		}
		if e.IsDir() {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	byName := func(s []os.DirEntry) {
		sort.SliceStable(s, func(i, j int) bool { return strings.ToLower(s[i].Name()) < strings.ToLower(s[j].Name()) })
	}
	byName(dirs)
	byName(files)
	for _, e := range append(append([]os.DirEntry(nil), dirs...), files...) {
		full := filepath.Join(dir, e.Name())
		fi, err := os.Stat(full)
		if err != nil {
			fi, err = e.Info()
			if err != nil {
				continue
			}
		}
		if err := emitItem(c, full, fi, root); err != nil {
			return err
		}
	}
	if c.Bool("Recurse") && depth != 0 {
		for _, e := range dirs {
			if err := listDir(c, filepath.Join(dir, e.Name()), depth-1, root); err != nil {
				return err
			}
		}
	}
	return nil
}

func emitItem(c *interp.Call, path string, fi os.FileInfo, root string) error {
	name := fi.Name()
	if c.Bool("File") && fi.IsDir() || c.Bool("Directory") && !fi.IsDir() {
		return nil
	}
	if f := c.String("Filter"); f != "" && !wildcard.Match(f, name) {
		return nil
	}
	if inc := strs(c, "Include"); len(inc) > 0 && !excluded(name, inc) {
		return nil
	}
	if excluded(name, strs(c, "Exclude")) {
		return nil
	}
	if c.Bool("Name") {
		rel, err := filepath.Rel(root, path)
		if err != nil || strings.HasPrefix(rel, "..") || rel == "." {
			rel = name
		}
		return c.WriteObject(rel)
	}
	return c.WriteObject(fileObject(path, fi))
}

// ---- Test-Path ----

func testPath() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Test-Path",
		Module:      ModuleManagement,
		Synopsis:    "Determines whether all elements of a path exist.",
		Description: "The Test-Path cmdlet returns $true if the path exists and $false otherwise. -PathType Leaf tests for a file, Container for a directory.",
		Params: params(
			param("Path", interp.KindString, "Specifies a path to be tested (or -LiteralPath). Wildcards are permitted.").at(0).array().byName().pipe(),
			param("LiteralPath", interp.KindString, "Specifies a path to be tested, used exactly as typed; use it instead of -Path.").array().byName().alias("PSPath"),
			param("PathType", interp.KindEnum, "Specifies the type of the final element in the path: Any, Container, or Leaf.").values("Any", "Container", "Leaf").def("Any"),
			param("IsValid", interp.KindSwitch, "Indicates that this cmdlet tests the syntax of the path, regardless of whether the elements of the path exist."),
		),
		Examples: []interp.Example{
			{Code: `Test-Path "$exinstall\TransportRoles\Logs"`, Remarks: "Checks that the log folder exists."},
		},
		OutputType: "System.Boolean",
		Process: func(c *interp.Call) error {
			paths, literal := pathArgs(c, "")
			if c.HasInput {
				paths = []string{object.ToString(c.Input)}
				if o, ok := c.Input.(*object.PSObject); ok {
					if fn, ok := o.Get("FullName"); ok {
						paths = []string{object.ToString(fn)}
					}
				}
			}
			if len(paths) == 0 {
				return missingPath("Test-Path")
			}
			for _, p := range paths {
				if c.Bool("IsValid") {
					if err := c.WriteObject(!strings.ContainsRune(p, 0)); err != nil {
						return err
					}
					continue
				}
				items, _ := expandPath(c, p, literal)
				ok := false
				for _, it := range items {
					fi, err := os.Stat(it)
					if err != nil {
						continue
					}
					switch strings.ToLower(c.String("PathType")) {
					case "leaf":
						ok = ok || !fi.IsDir()
					case "container":
						ok = ok || fi.IsDir()
					default:
						ok = true
					}
				}
				if err := c.WriteObject(ok); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ---- Get-Location / Set-Location ----

func getLocation() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Get-Location",
		Aliases:     []string{"gl", "pwd"},
		Module:      ModuleManagement,
		Synopsis:    "Gets information about the current working location.",
		Description: "The Get-Location cmdlet gets an object that represents the current directory of the session, much like the pwd command.",
		Params:      params(),
		Examples:    []interp.Example{{Code: "Get-Location", Remarks: "Shows the current location."}},
		OutputType:  "System.Management.Automation.PathInfo",
		Process: func(c *interp.Call) error {
			return c.WriteObject(pathInfo(location(c)))
		},
	}
}

func setLocation() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Set-Location",
		Aliases:     []string{"cd", "sl", "chdir"},
		Module:      ModuleManagement,
		Synopsis:    "Sets the current working location to a specified location.",
		Description: "The Set-Location cmdlet sets the session's current location; relative paths in other cmdlets start there, and the prompt shows it.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path of a new working location. The default is the home directory.").at(0).byName().pipe(),
			param("LiteralPath", interp.KindString, "Specifies a path of the location, used exactly as typed.").byName().alias("PSPath"),
			param("PassThru", interp.KindSwitch, "Returns a PathInfo object that represents the location."),
		),
		Examples: []interp.Example{
			{Code: `Set-Location "$exinstall\TransportRoles\Logs"`, Remarks: "Goes to the transport log folder."},
			{Code: "cd ..", Remarks: "Goes up one level."},
		},
		Process: func(c *interp.Call) error {
			p := "~"
			literal := false
			switch {
			case c.Has("LiteralPath"):
				p, literal = c.String("LiteralPath"), true
			case c.Has("Path"):
				p = c.String("Path")
			case c.HasInput:
				p = object.ToString(c.Input)
			}
			items, _ := expandPath(c, p, literal)
			if len(items) == 0 {
				return pathNotFound(resolve(c, p), "SetLocationCommand")
			}
			fi, err := os.Stat(items[0])
			if err != nil || !fi.IsDir() {
				return interp.NewError("InvalidArgument", "PSArgumentException", errorID("Argument", "SetLocationCommand"), p,
					"Cannot set the location because path '%s' resolved to a file.", p)
			}
			// The location is global to the session, wherever cd runs.
			if s := c.Session(); s != nil {
				SetLocation(s, items[0])
			} else {
				c.SetVariable(locationVar, pathInfo(items[0]))
			}
			if c.Bool("PassThru") {
				return c.WriteObject(pathInfo(items[0]))
			}
			return nil
		},
	}
}

// missingPath is the binder's error for a missing -Path: the path
// parameters are optional in the declaration so that either -Path or
// -LiteralPath (or a piped object's PSPath) can supply the path.
func missingPath(cmdlet string) error {
	return interp.NewError("InvalidArgument", "ParameterBindingException", "MissingMandatoryParameter,"+cmdlet, "",
		"Cannot process command because of one or more missing mandatory parameters: Path.")
}
