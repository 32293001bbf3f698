package labs

import (
	"embed"
	"io/fs"
)

//go:embed all:catalog
var catalogFS embed.FS

// builtin is the built-in catalogue: one folder per lab.
var builtin, _ = fs.Sub(catalogFS, "catalog")

// Builtin returns the built-in catalogue's folders.
func Builtin() fs.FS { return builtin }
