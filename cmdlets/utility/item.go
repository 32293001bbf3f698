package utility

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/shell/wildcard"
)

func itemCmdlets() []*interp.CmdletInfo {
	return []*interp.CmdletInfo{joinPath(), splitPath(), resolvePath(), newItem(), removeItem()}
}

// nativeSeparators turns either slash into the native separator, so
// scripts written for Windows paths work unchanged.
func nativeSeparators(p string) string {
	if os.PathSeparator == '/' {
		return strings.ReplaceAll(p, `\`, "/")
	}
	return p
}

func joinPath() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Join-Path",
		Module:      ModuleManagement,
		Synopsis:    "Combines a path and a child path into a single path.",
		Description: "The Join-Path cmdlet combines a path and child path into a single path, with one separator between them. Both \\ and / are accepted and written as the native separator.",
		Params: params(
			param("Path", interp.KindString, "Specifies the main path (or paths) to which the child path is appended.").at(0).array().mandatory().pipe().byName().alias("PSPath"),
			param("ChildPath", interp.KindString, "Specifies the elements to append to the value of the Path parameter.").at(1).mandatory().byName(),
			param("AdditionalChildPath", interp.KindString, "Specifies additional elements to append to the value of the Path parameter.").at(2).array(),
			param("Resolve", interp.KindSwitch, "Indicates that this cmdlet should attempt to resolve the joined path: wildcards are expanded and the path must exist."),
		),
		Examples: []interp.Example{
			{Code: `Join-Path $exinstall "TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive"`, Remarks: "Builds the path of the front-end receive protocol logs."},
		},
		OutputType: "System.String",
		Process: func(c *interp.Call) error {
			children := append([]string{c.String("ChildPath")}, strs(c, "AdditionalChildPath")...)
			for _, p := range strs(c, "Path") {
				joined := nativeSeparators(p)
				for _, child := range children {
					child = strings.TrimLeft(nativeSeparators(child), string(os.PathSeparator))
					if child == "" {
						continue
					}
					joined = strings.TrimRight(joined, string(os.PathSeparator)) + string(os.PathSeparator) + child
				}
				if !c.Bool("Resolve") {
					if err := c.WriteObject(joined); err != nil {
						return err
					}
					continue
				}
				found, _ := expandPath(c, joined, false)
				if len(found) == 0 {
					c.WriteError(pathNotFound(resolve(c, joined), "JoinPathCommand"))
				}
				for _, f := range found {
					if err := c.WriteObject(f); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

func splitPath() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Split-Path",
		Module:   ModuleManagement,
		Synopsis: "Returns the specified part of a path.",
		Description: "The Split-Path cmdlet returns only the specified part of a path: the parent folder (the default), the leaf, " +
			"the leaf without its extension (-LeafBase), the extension, or whether the path is absolute. It works on the text and does not need the path to exist.",
		Params: params(
			param("Path", interp.KindString, "Specifies the paths to be split.").at(0).array().mandatory().pipe().byName().alias("PSPath"),
			param("Parent", interp.KindSwitch, "Indicates that this cmdlet returns only the parent containers of the item (the default)."),
			param("Leaf", interp.KindSwitch, "Indicates that this cmdlet returns only the last item or container in the path."),
			param("LeafBase", interp.KindSwitch, "Indicates that this cmdlet returns only the base name of the leaf, without its extension."),
			param("Extension", interp.KindSwitch, "Indicates that this cmdlet returns only the extension of the leaf."),
			param("Qualifier", interp.KindSwitch, "Indicates that this cmdlet returns only the qualifier (drive) of the path, such as C:."),
			param("NoQualifier", interp.KindSwitch, "Indicates that this cmdlet returns the path without the qualifier."),
			param("IsAbsolute", interp.KindSwitch, "Indicates that this cmdlet returns $True if the path is absolute and $False if it is relative."),
		),
		Examples: []interp.Example{
			{Code: `Get-ChildItem *.LOG | ForEach-Object { Split-Path $_.FullName -Leaf }`, Remarks: "Lists the log file names."},
		},
		OutputType: "System.String",
		Process: func(c *interp.Call) error {
			for _, raw := range strs(c, "Path") {
				p := strings.TrimPrefix(raw, providerPrefix)
				// Split on either separator, keeping the caller's spelling.
				i := strings.LastIndexAny(strings.TrimRight(p, `\/`), `\/`)
				trimmed := strings.TrimRight(p, `\/`)
				leaf, parent := trimmed, ""
				if i >= 0 {
					leaf, parent = trimmed[i+1:], strings.TrimRight(trimmed[:i], `\/`)
					if parent == "" {
						parent = trimmed[:i+1] // the root itself
					}
				}
				qualifier := ""
				if len(p) >= 2 && p[1] == ':' {
					qualifier = p[:2]
				}
				ext := filepath.Ext(leaf)
				var out any
				switch {
				case c.Bool("Leaf"):
					out = leaf
				case c.Bool("LeafBase"):
					out = strings.TrimSuffix(leaf, ext)
				case c.Bool("Extension"):
					out = ext
				case c.Bool("Qualifier"):
					out = qualifier
				case c.Bool("NoQualifier"):
					out = strings.TrimPrefix(p, qualifier)
				case c.Bool("IsAbsolute"):
					out = strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || qualifier != ""
				default:
					out = parent
				}
				if err := c.WriteObject(out); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func resolvePath() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:        "Resolve-Path",
		Aliases:     []string{"rvpa"},
		Module:      ModuleManagement,
		Synopsis:    "Resolves the wildcard characters in a path, and displays the path contents.",
		Description: "The Resolve-Path cmdlet displays the items and containers that match the wildcard pattern at the location specified, as full paths (or relative ones with -Relative).",
		Params: params(
			param("Path", interp.KindString, "Specifies the path to be resolved. Wildcards are permitted.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies the path to be resolved, used exactly as typed.").array().byName().alias("PSPath"),
			param("Relative", interp.KindSwitch, "Indicates that this cmdlet returns a relative path."),
		),
		Examples: []interp.Example{
			{Code: `Resolve-Path "$exinstall\TransportRoles\Logs\*\ProtocolLog"`, Remarks: "Finds the protocol log folders."},
		},
		OutputType: "System.Management.Automation.PathInfo",
		Process: func(c *interp.Call) error {
			paths, literal := pathArgs(c, "")
			if len(paths) == 0 {
				return missingPath("Resolve-Path")
			}
			base := location(c)
			for _, p := range paths {
				found, _ := expandPath(c, p, literal)
				if len(found) == 0 {
					c.WriteError(pathNotFound(resolve(c, p), "ResolvePathCommand"))
					continue
				}
				for _, f := range found {
					var out any = pathInfo(f)
					if c.Bool("Relative") {
						rel, err := filepath.Rel(base, f)
						if err != nil {
							rel = f
						}
						if !strings.HasPrefix(rel, "..") {
							rel = "." + string(os.PathSeparator) + rel
						}
						out = rel
					}
					if err := c.WriteObject(out); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
}

func newItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "New-Item",
		Aliases:  []string{"ni"},
		Module:   ModuleManagement,
		Synopsis: "Creates a new item.",
		Description: "The New-Item cmdlet creates a file or a directory (-ItemType Directory) and returns it. " +
			"-Value gives a new file's content. -Force creates missing parent directories, overwrites an existing file, and returns an existing directory.",
		Params: params(
			param("Path", interp.KindString, "Specifies the path of the location of the new item.").at(0).array().byName(),
			param("Name", interp.KindString, "Specifies the name of the new item, created under -Path.").byName(),
			param("ItemType", interp.KindEnum, "Specifies the type of the new item: File or Directory.").values("File", "Directory").alias("Type").byName(),
			param("Value", interp.KindObject, "Specifies the content of a new file.").pipe().byName(),
			param("Force", interp.KindSwitch, "Creates missing parent directories, overwrites an existing file, and accepts an existing directory."),
		),
		SupportsShouldProcess: true,
		Examples: []interp.Example{
			{Code: `New-Item -ItemType Directory C:\Lab\Exports`, Remarks: "Creates a folder for exported messages."},
			{Code: `New-Item users.txt -Value "alice"`, Remarks: "Creates a one-line file."},
		},
		OutputType: "System.IO.FileInfo",
		Process: func(c *interp.Call) error {
			paths := strs(c, "Path")
			if len(paths) == 0 {
				paths = []string{"."}
			}
			if !c.Has("Path") && !c.Has("Name") {
				return missingPath("New-Item")
			}
			dir := strings.EqualFold(c.String("ItemType"), "Directory")
			for _, p := range paths {
				target := resolve(c, p)
				if n := c.String("Name"); n != "" {
					target = filepath.Join(target, nativeSeparators(n))
				}
				kind := "Create File"
				if dir {
					kind = "Create Directory"
				}
				if !c.ShouldProcess("Destination: "+target, kind) {
					continue
				}
				if err := createItem(c, target, dir); err != nil {
					c.WriteError(err)
					continue
				}
				fi, err := os.Stat(target)
				if err != nil {
					c.WriteError(fileError(err, target))
					continue
				}
				if err := c.WriteObject(fileObject(target, fi)); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func createItem(c *interp.Call, target string, dir bool) error {
	fi, err := os.Stat(target)
	exists := err == nil
	force := c.Bool("Force")
	if dir {
		if exists && !force {
			return interp.NewError("ResourceExists", "IOException", errorID("DirectoryExist", "NewItemCommand"), target,
				"An item with the specified name %s already exists.", target)
		}
		if exists && !fi.IsDir() {
			return interp.NewError("ResourceExists", "IOException", errorID("DirectoryExist", "NewItemCommand"), target,
				"An item with the specified name %s already exists.", target)
		}
		return fileError(os.MkdirAll(target, 0o755), target)
	}
	if exists && (!force || fi.IsDir()) {
		return interp.NewError("WriteError", "IOException", errorID("NewItemIOError", "NewItemCommand"), target,
			"The file '%s' already exists.", target)
	}
	if force {
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fileError(err, target)
		}
	}
	text := ""
	if c.Has("Value") {
		text = object.ToString(c.Value("Value"))
	} else if c.HasInput {
		text = object.ToString(c.Input)
	}
	return writeTextFile(c, target, text, "", false, false)
}

func removeItem() *interp.CmdletInfo {
	return &interp.CmdletInfo{
		Name:     "Remove-Item",
		Aliases:  []string{"ri", "rm", "del", "erase", "rd", "rmdir"},
		Module:   ModuleManagement,
		Synopsis: "Deletes the specified items.",
		Description: "The Remove-Item cmdlet deletes files and directories. A directory with children needs -Recurse. " +
			"Wildcards in -Path are expanded; -WhatIf shows what would be deleted.",
		Params: params(
			param("Path", interp.KindString, "Specifies the paths of the items being removed. Wildcards are permitted.").at(0).array().pipe().byName(),
			param("LiteralPath", interp.KindString, "Specifies the paths of the items being removed, used exactly as typed.").array().byName().alias("PSPath", "FullName"),
			param("Recurse", interp.KindSwitch, "Indicates that this cmdlet deletes the items in the specified locations and in all child items of the locations."),
			param("Force", interp.KindSwitch, "Forces the cmdlet to remove items that cannot otherwise be changed, such as read-only files."),
			param("Filter", interp.KindString, "Specifies a filter on the names of the items to delete."),
			param("Include", interp.KindString, "Specifies name patterns of the items to delete.").array(),
			param("Exclude", interp.KindString, "Specifies name patterns of the items to keep.").array(),
		),
		SupportsShouldProcess: true,
		Examples: []interp.Example{
			{Code: `Remove-Item "$exinstall\TransportRoles\Logs\FrontEnd\ProtocolLog\SmtpReceive\*.LOG" -WhatIf`, Remarks: "Shows which protocol logs would be deleted."},
		},
		Process: func(c *interp.Call) error {
			paths, literal := pathArgs(c, "")
			if len(paths) == 0 {
				return missingPath("Remove-Item")
			}
			for _, p := range paths {
				found, wild := expandPath(c, p, literal)
				if len(found) == 0 && !wild {
					c.WriteError(pathNotFound(resolve(c, p), "RemoveItemCommand"))
					continue
				}
				for _, f := range found {
					name := filepath.Base(f)
					if fl := c.String("Filter"); fl != "" && !wildcard.Match(fl, name) {
						continue
					}
					if inc := strs(c, "Include"); len(inc) > 0 && !excluded(name, inc) {
						continue
					}
					if excluded(name, strs(c, "Exclude")) {
						continue
					}
					if err := removeOne(c, f); err != nil {
						c.WriteError(err)
					}
				}
			}
			return nil
		},
	}
}

func removeOne(c *interp.Call, path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileError(err, path)
	}
	action := "Remove File"
	if fi.IsDir() {
		action = "Remove Directory"
		entries, err := os.ReadDir(path)
		if err == nil && len(entries) > 0 && !c.Bool("Recurse") {
			return interp.NewError("WriteError", "IOException", errorID("RemoveItemIOError", "RemoveItemCommand"), path,
				"The item at %s has children and the Recurse parameter was not specified.", path)
		}
	}
	if !c.ShouldProcess(path, action) {
		return nil
	}
	if !fi.IsDir() && fi.Mode().Perm()&0o200 == 0 && !c.Bool("Force") {
		return interp.NewError("PermissionDenied", "IOException", errorID("RemoveFileSystemItemUnAuthorizedAccess", "RemoveItemCommand"), path,
			"Cannot remove item %s: You do not have sufficient access rights to perform this operation.", path)
	}
	err = os.RemoveAll(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fileError(err, path)
}
