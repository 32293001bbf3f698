package interp

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// TestScripts runs testdata/scripts/*.txtar: each archive holds
// script.ps1 and the exact stdout (and stderr, when any) it must print.
func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/scripts/*.txtar")
	if len(files) == 0 {
		t.Fatal("no scripts")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sections := map[string]string{}
			for _, f := range ar.Files {
				sections[f.Name] = string(f.Data)
			}
			dir := t.TempDir()
			wd, _ := os.Getwd()
			os.Chdir(dir)
			defer os.Chdir(wd)
			var out, errOut bytes.Buffer
			s := newTestSession(&out, &errOut)
			s.Run(context.Background(), sections["script.ps1"], "")
			if got, want := out.String(), sections["stdout"]; got != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
			}
			if got, want := errOut.String(), sections["stderr"]; got != want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
			}
			// Any other section is a file the script must have written.
			for name, want := range sections {
				switch name {
				case "script.ps1", "stdout", "stderr":
					continue
				}
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || string(got) != want {
					t.Errorf("file %s = %q (%v), want %q", name, got, err, want)
				}
			}
		})
	}
}
