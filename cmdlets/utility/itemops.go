package utility

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

// Get-Item, Copy-Item, Move-Item and Rename-Item: the FileSystem
// provider's item verbs as Windows PowerShell 5.1 runs them.

func itemOpCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{getItem(), copyItem(), moveItem(), renameItem()}
}

// directoryOf is a FileInfo's Directory: the DirectoryInfo of dir, whose
// string form is its full path. It falls back to the path string when the
// directory cannot be read.
func directoryOf(dir string) any {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return dir
	}
	return dirCache.get(dir, fi)
}

// dirCache keeps the DirectoryInfo objects built in the last moment, so
// that listing a directory of thousands of files builds each file's
// Directory (and its chain of Parents) once. Each caller gets its own
// copy of the top object; the Parent chain below it is shared.
var dirCache = &dirObjects{m: map[string]dirEntry{}}

const dirCacheTTL = time.Second

type dirEntry struct {
	o     *object.PSObject
	mod   time.Time
	built time.Time
}

type dirObjects struct {
	mu sync.Mutex
	m  map[string]dirEntry
}

func (d *dirObjects) get(dir string, fi os.FileInfo) *object.PSObject {
	now := time.Now()
	d.mu.Lock()
	e, ok := d.m[dir]
	d.mu.Unlock()
	if !ok || !e.mod.Equal(fi.ModTime()) || now.Sub(e.built) > dirCacheTTL {
		e = dirEntry{o: fileObject(dir, fi), mod: fi.ModTime(), built: now}
		d.mu.Lock()
		if len(d.m) > 256 {
			clear(d.m)
		}
		d.m[dir] = e
		d.mu.Unlock()
	}
	return cloneObject(e.o)
}

func cloneObject(o *object.PSObject) *object.PSObject {
	c := object.New(append([]string(nil), o.TypeNames...)...)
	c.Base = o.Base
	for _, p := range o.Properties() {
		c.Add(p.Name, p.Value)
	}
	return c
}

// parentOf is a DirectoryInfo's Parent: the DirectoryInfo of the directory
// above path ($null at the root). As in .NET Framework, its string form
// is the parent's name, not its full path.
func parentOf(path, parent string) any {
	if parent == path || parent == "" {
		return nil
	}
	d := directoryOf(parent)
	if o, ok := d.(*object.PSObject); ok {
		o.Base = pathString(filepath.Base(parent))
		return o
	}
	return filepath.Base(parent)
}

// writeLines sends Get-Content's lines as -ReadCount asks: one by one (1,
// the default), in arrays of N lines, or all in one array (0 or less).
// An empty file sends nothing.
func writeLines(c *interp.Call, lines []string) error {
	n := int64(1)
	if c.Has("ReadCount") {
		if v, err := object.ToInt64(c.Value("ReadCount")); err == nil {
			n = v
		}
	}
	if n == 1 {
		for _, l := range lines {
			if err := c.WriteObject(l); err != nil {
				return err
			}
		}
		return nil
	}
	if n <= 0 || n > int64(len(lines)) {
		n = int64(len(lines))
	}
	for len(lines) > 0 {
		block := make([]any, n)
		for i := range block {
			block[i] = lines[i]
		}
		lines = lines[n:]
		if int64(len(lines)) < n {
			n = int64(len(lines))
		}
		if err := c.WriteObject(block); err != nil {
			return err
		}
	}
	return nil
}

// itemFilter applies -Filter, -Include and -Exclude to an item name.
func itemFilter(c *interp.Call, name string) bool {
	if f := c.String("Filter"); f != "" && !wildcard.Match(f, name) {
		return false
	}
	if inc := strs(c, "Include"); len(inc) > 0 && !excluded(name, inc) {
		return false
	}
	return !excluded(name, strs(c, "Exclude"))
}

// sources resolves the -Path/-LiteralPath arguments of an item cmdlet to
// existing paths, writing "Cannot find path" for a missing literal path.
// Wildcard matches skip hidden items (names starting with a dot) unless
// -Force; items are filtered by -Filter, -Include and -Exclude.
func sources(c *interp.Call, class string) ([]string, error) {
	paths, literal := pathArgs(c, "")
	if len(paths) == 0 {
		return nil, missingPath(c.Info.Name)
	}
	var out []string
	for _, p := range paths {
		found, wild := expandPath(c, p, literal)
		if len(found) == 0 && !wild {
			c.WriteError(pathNotFound(resolve(c, p), class))
			continue
		}
		for _, f := range found {
			name := filepath.Base(f)
			if wild && strings.HasPrefix(name, ".") && !c.Bool("Force") {
				continue
			}
			// A directory copied with -Recurse is filtered by its
			// files' names instead.
			if !(c.Bool("Recurse") && isDir(f)) && !itemFilter(c, name) {
				continue
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// emitPath writes the item at path (for -PassThru and Get-Item).
func emitPath(c *interp.Call, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		c.WriteError(fileError(err, path))
		return nil
	}
	return c.WriteObject(fileObject(path, fi))
}

// destination resolves -Destination, the current location when absent.
func destination(c *interp.Call) string {
	if c.Has("Destination") {
		return resolve(c, c.String("Destination"))
	}
	return location(c)
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(os.PathSeparator))
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// ---- Get-Item ----

func getItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Get-Item",
		Aliases:  []string{"gi"},
		Module:   ModuleManagement,
		Synopsis: "Gets the item at the specified location.",
		Description: "The Get-Item cmdlet gets the file or directory at the specified location, as the same FileInfo and DirectoryInfo objects Get-ChildItem returns. " +
			"It does not get the contents of a directory unless you use a wildcard (dir\\*). Both \\ and / separate directories; relative paths start at the current location.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path to an item. Wildcards are permitted.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies a path to an item, used exactly as typed.").array().byName().alias("PSPath"),
			param("Filter", interp.KindString, "Specifies a filter on the item names, such as *.LOG."),
			param("Include", interp.KindString, "Specifies name patterns of the items to get.").array(),
			param("Exclude", interp.KindString, "Specifies name patterns of the items to leave out.").array(),
			param("Force", interp.KindSwitch, "Gets hidden items (names starting with a dot) that wildcards match."),
		),
		Examples: []interp.Example{
			{Code: `(Get-Item "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\RECV2026112709-1.LOG").Length`, Remarks: "Gets the size of a protocol log."},
			{Code: `Get-Item .`, Remarks: "Gets the current directory."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			found, err := sources(c, "GetItemCommand")
			if err != nil {
				return err
			}
			for _, f := range found {
				if err := emitPath(c, f); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// ---- Copy-Item ----

func copyItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Copy-Item",
		Aliases:  []string{"copy", "cp", "cpi"},
		Module:   ModuleManagement,
		Synopsis: "Copies an item from one location to another.",
		Description: "The Copy-Item cmdlet copies files and directories. A file copied to an existing directory keeps its name; to any other path it takes that name, " +
			"replacing an existing file (-Force replaces a read-only one). A directory is copied with its contents only with -Recurse: into an existing destination " +
			"directory it goes below it, otherwise it becomes the destination. Wildcards in -Path are expanded; -WhatIf shows what would be copied.",
		Params: params(
			param("Path", interp.KindString, "Specifies the paths of the items to copy. Wildcards are permitted.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies the paths of the items to copy, used exactly as typed.").array().byName().alias("PSPath"),
			param("Destination", interp.KindString, "Specifies the path to the new location. The default is the current location.").at(1).byName(),
			param("Recurse", interp.KindSwitch, "Indicates that this cmdlet does a recursive copy."),
			param("Container", interp.KindSwitch, "Indicates that this cmdlet preserves container objects during the copy operation (always the case here)."),
			param("Force", interp.KindSwitch, "Copies over read-only files and copies hidden items that wildcards match."),
			param("Filter", interp.KindString, "Specifies a filter on the names of the items to copy."),
			param("Include", interp.KindString, "Specifies name patterns of the items to copy.").array(),
			param("Exclude", interp.KindString, "Specifies name patterns of the items not to copy.").array(),
			param("PassThru", interp.KindSwitch, "Returns an object for each item copied."),
		),
		SupportsShouldProcess: true,
		Examples: []interp.Example{
			{Code: `Copy-Item "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG" C:\Lab\Evidence`, Remarks: "Copies the receive protocol logs to an existing folder."},
			{Code: `Copy-Item C:\Lab\Exports C:\Lab\Exports.bak -Recurse`, Remarks: "Copies a folder and everything in it."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			found, err := sources(c, "CopyItemCommand")
			if err != nil {
				return err
			}
			dest := destination(c)
			for _, src := range found {
				if err := copyOne(c, src, dest); err != nil {
					if errors.Is(err, interp.ErrPipelineStopped) {
						return err
					}
					c.WriteError(err)
				}
			}
			return nil
		},
	}
}

func copyOne(c *interp.Call, src, dest string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fileError(err, src)
	}
	target := dest
	if isDir(dest) {
		target = filepath.Join(dest, filepath.Base(src))
	}
	action := "Copy File"
	if fi.IsDir() {
		action = "Copy Directory"
	}
	if !c.ShouldProcess("Item: "+src+" Destination: "+target, action) {
		return nil
	}
	if !fi.IsDir() {
		if err := copyFile(c, src, target, fi); err != nil {
			return err
		}
		if c.Bool("PassThru") {
			return emitPath(c, target)
		}
		return nil
	}
	if c.Bool("Recurse") && within(target, src) {
		return interp.NewError("WriteError", "IOException", errorID("CopyError", "CopyItemCommand"), target,
			"Destination path cannot be a subdirectory of the source: %s.", target)
	}
	return copyDir(c, src, target, c.Bool("Recurse"))
}

// copyFile copies one file, keeping its last write time and permissions
// as File.Copy does, and replacing an existing target.
func copyFile(c *interp.Call, src, target string, fi os.FileInfo) error {
	if src == target {
		return interp.NewError("WriteError", "IOException", errorID("CopyError", "CopyItemCommand"), src,
			"Cannot overwrite the item %s with itself.", src)
	}
	if tfi, err := os.Stat(target); err == nil {
		if tfi.IsDir() {
			return interp.NewError("WriteError", "IOException", errorID("CopyDirectoryInfoItemIOError", "CopyItemCommand"), target,
				"An item with the specified name %s already exists.", target)
		}
		if tfi.Mode().Perm()&0o200 == 0 {
			if !c.Bool("Force") {
				return interp.NewError("PermissionDenied", "UnauthorizedAccessException", errorID("CopyFileInfoItemUnauthorizedAccessError", "CopyItemCommand"), target,
					"Access to the path '%s' is denied.", target)
			}
			_ = os.Chmod(target, tfi.Mode().Perm()|0o200)
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return copyIOError(err, src)
	}
	defer in.Close()
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm()|0o200)
	if err != nil {
		return copyIOError(err, target)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return copyIOError(err, target)
	}
	if err := out.Close(); err != nil {
		return copyIOError(err, target)
	}
	_ = os.Chmod(target, fi.Mode().Perm())
	_ = os.Chtimes(target, fi.ModTime(), fi.ModTime())
	return nil
}

func copyIOError(err error, p string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return interp.NewError("WriteError", "DirectoryNotFoundException", errorID("CopyFileInfoItemIOError", "CopyItemCommand"), p,
			"Could not find a part of the path '%s'.", p)
	}
	return fileError(err, p)
}

// copyDir creates target and, with recurse, copies src's contents into it
// (merging with what is already there). Files inside are filtered by
// -Filter, -Include and -Exclude; hidden ones are copied too, as the
// provider does.
func copyDir(c *interp.Call, src, target string, recurse bool) error {
	if fi, err := os.Stat(target); err == nil && !fi.IsDir() {
		return interp.NewError("WriteError", "IOException", errorID("DirectoryExist", "CopyItemCommand"), target,
			"An item with the specified name %s already exists.", target)
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return copyIOError(err, target)
	}
	if c.Bool("PassThru") {
		if err := emitPath(c, target); err != nil {
			return err
		}
	}
	if !recurse {
		return nil
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return fileError(err, src)
	}
	for _, e := range entries {
		from, to := filepath.Join(src, e.Name()), filepath.Join(target, e.Name())
		fi, err := os.Stat(from)
		if err != nil {
			c.WriteError(fileError(err, from))
			continue
		}
		if fi.IsDir() {
			if err := copyDir(c, from, to, true); err != nil {
				if errors.Is(err, interp.ErrPipelineStopped) {
					return err
				}
				c.WriteError(err)
			}
			continue
		}
		if !itemFilter(c, e.Name()) {
			continue
		}
		if err := copyFile(c, from, to, fi); err != nil {
			c.WriteError(err)
			continue
		}
		if c.Bool("PassThru") {
			if err := emitPath(c, to); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- Move-Item ----

func moveItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Move-Item",
		Aliases:  []string{"move", "mv", "mi"},
		Module:   ModuleManagement,
		Synopsis: "Moves an item from one location to another.",
		Description: "The Move-Item cmdlet moves files and directories, with their contents. An item moved to an existing directory keeps its name; to any other path it takes that name. " +
			"An existing file at the destination is an error unless -Force. Wildcards in -Path are expanded; -WhatIf shows what would be moved.",
		Params: params(
			param("Path", interp.KindString, "Specifies the paths of the items to move. Wildcards are permitted.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies the paths of the items to move, used exactly as typed.").array().byName().alias("PSPath"),
			param("Destination", interp.KindString, "Specifies the path to the new location. The default is the current location.").at(1).byName(),
			param("Force", interp.KindSwitch, "Replaces an existing file at the destination and moves hidden items that wildcards match."),
			param("Filter", interp.KindString, "Specifies a filter on the names of the items to move."),
			param("Include", interp.KindString, "Specifies name patterns of the items to move.").array(),
			param("Exclude", interp.KindString, "Specifies name patterns of the items not to move.").array(),
			param("PassThru", interp.KindSwitch, "Returns an object for each item moved."),
		),
		SupportsShouldProcess: true,
		Examples: []interp.Example{
			{Code: `Move-Item C:\Lab\Exports\*.eml C:\Lab\Archive`, Remarks: "Moves the exported messages to an existing folder."},
			{Code: `mv report.csv C:\Lab\report-old.csv -Force`, Remarks: "Moves and renames a file, replacing the target."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			found, err := sources(c, "MoveItemCommand")
			if err != nil {
				return err
			}
			dest := destination(c)
			for _, src := range found {
				target := dest
				if isDir(dest) && dest != src {
					target = filepath.Join(dest, filepath.Base(src))
				}
				if err := moveOne(c, src, target); err != nil {
					c.WriteError(err)
					continue
				}
			}
			return nil
		},
	}
}

func moveOne(c *interp.Call, src, target string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return fileError(err, src)
	}
	action, id := "Move File", "MoveFileInfoItemIOError"
	if fi.IsDir() {
		action, id = "Move Directory", "MoveDirectoryItemIOError"
	}
	if !c.ShouldProcess("Item: "+src+" Destination: "+target, action) {
		return nil
	}
	if src == target {
		return nil
	}
	if fi.IsDir() && within(target, src) {
		return interp.NewError("WriteError", "IOException", errorID(id, "MoveItemCommand"), src,
			"Destination path cannot be a subdirectory of the source: %s.", target)
	}
	if tfi, err := os.Lstat(target); err == nil && !sameFile(src, target) {
		if fi.IsDir() || tfi.IsDir() || !c.Bool("Force") {
			return interp.NewError("WriteError", "IOException", errorID(id, "MoveItemCommand"), src,
				"Cannot create a file when that file already exists.")
		}
		if err := os.Remove(target); err != nil {
			return fileError(err, target)
		}
	}
	if err := renamePath(src, target); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return interp.NewError("WriteError", "DirectoryNotFoundException", errorID(id, "MoveItemCommand"), src,
				"Could not find a part of the path.")
		}
		return fileError(err, src)
	}
	if c.Bool("PassThru") {
		return emitPath(c, target)
	}
	return nil
}

// sameFile reports whether two paths name one file (a case-only rename on
// a case-insensitive file system).
func sameFile(a, b string) bool {
	fa, err1 := os.Lstat(a)
	fb, err2 := os.Lstat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// renamePath renames, copying and deleting when the target is on another
// device.
func renamePath(src, target string) error {
	err := os.Rename(src, target)
	var le *os.LinkError
	if err == nil || !errors.As(err, &le) || !errors.Is(le.Err, syscall.EXDEV) {
		return err
	}
	if err := copyTree(src, target); err != nil {
		return err
	}
	return os.RemoveAll(src)
}

// copyTree copies a file or a directory tree, keeping modes and times.
func copyTree(src, target string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(target, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(to, fi.Mode().Perm()|0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(to, fi.ModTime(), fi.ModTime())
	})
}

// ---- Rename-Item ----

func renameItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Rename-Item",
		Aliases:  []string{"ren", "rni"},
		Module:   ModuleManagement,
		Synopsis: "Renames an item.",
		Description: "The Rename-Item cmdlet changes the name of a file or directory; the item stays in its directory (use Move-Item to move it). " +
			"-NewName is a name, or a path in the same directory. An existing item with the new name is an error.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path of the item to rename.").at(0).pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies the path of the item to rename, used exactly as typed.").byName().alias("PSPath"),
			param("NewName", interp.KindObject, "Specifies the new name of the item, or a script block that computes it from each piped item.").at(1).mandatory().byName(),
			param("Force", interp.KindSwitch, "Renames read-only and hidden items too."),
			param("PassThru", interp.KindSwitch, "Returns an object that represents the renamed item."),
		),
		SupportsShouldProcess: true,
		Examples: []interp.Example{
			{Code: `Rename-Item C:\Lab\report.csv report-2026-11-27.csv`, Remarks: "Renames a file in place."},
			{Code: `Get-ChildItem *.txt | Rename-Item -NewName { $_.Name -replace '\.txt$','.log' }`, Remarks: "Changes the extension of every .txt file (a script block computes each new name)."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			p, literal := "", c.Has("LiteralPath")
			switch {
			case literal:
				p = c.String("LiteralPath")
			case c.Has("Path"):
				p = c.String("Path")
			default:
				return missingPath("Rename-Item")
			}
			found, _ := expandPath(c, p, true)
			if len(found) == 0 {
				return renameError(c, interp.NewError("InvalidOperation", "PSInvalidOperationException", errorID("InvalidOperation", "RenameItemCommand"), "",
					"Cannot rename because item at '%s' does not exist.", p))
			}
			src := found[0]
			newName := newNameFor(c, src)
			parent := filepath.Dir(src)
			name := nativeSeparators(newName)
			if strings.ContainsRune(name, os.PathSeparator) {
				full := resolve(c, newName)
				if filepath.Dir(full) != parent {
					return renameError(c, interp.NewError("InvalidArgument", "ArgumentException", errorID("Argument", "RenameItemCommand"), src,
						"Cannot rename the specified target, because it represents a path or device name."))
				}
				name = filepath.Base(full)
			}
			target := filepath.Join(parent, name)
			fi, err := os.Lstat(src)
			if err != nil {
				return renameError(c, fileError(err, src))
			}
			action := "Rename File"
			if fi.IsDir() {
				action = "Rename Directory"
			}
			if !c.ShouldProcess("Item: "+src+" Destination: "+target, action) {
				return nil
			}
			if _, err := os.Lstat(target); err == nil && !sameFile(src, target) {
				return renameError(c, interp.NewError("WriteError", "IOException", errorID("RenameItemIOError", "RenameItemCommand"), src,
					"Cannot create a file when that file already exists."))
			}
			if err := os.Rename(src, target); err != nil {
				return renameError(c, fileError(err, src))
			}
			if c.Bool("PassThru") {
				return emitPath(c, target)
			}
			return nil
		},
	}
}

// renameError writes err as a non-terminating error: Rename-Item goes on
// with the next piped item.
func renameError(c *interp.Call, err error) error {
	c.WriteError(err)
	return nil
}

// newNameFor returns -NewName; a script block (delay-bound, as in
// `| Rename-Item -NewName { $_.Name -replace ... }`) is run for the item.
func newNameFor(c *interp.Call, src string) string {
	v := c.Value("NewName")
	if sb, ok := v.(*interp.ScriptBlock); ok {
		in := c.Input
		if !c.HasInput {
			if fi, err := os.Stat(src); err == nil {
				in = fileObject(src, fi)
			}
		}
		out, err := c.InvokeScript(sb, in)
		if err == nil {
			return object.ToString(single(out))
		}
	}
	return object.ToString(v)
}
