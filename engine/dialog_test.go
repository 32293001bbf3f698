package engine_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"exsh/engine/enginetest"
)

// TestDialogs runs the dialog scripts in testdata/dialogs, one protocol
// corner case per file: "# port: N" picks the connector's binding port,
// "# tls" runs STARTTLS at that point, "C:" lines are sent and "S:" lines
// are the expected replies.
func TestDialogs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "dialogs", "*.dlg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dialogs: %v", err)
	}
	e := enginetest.Start(t, enginetest.Options{})
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".dlg"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			port := 25
			for _, ln := range strings.Split(text, "\n") {
				if p, ok := strings.CutPrefix(ln, "# port: "); ok {
					port, _ = strconv.Atoi(strings.TrimSpace(p))
				}
			}
			d := enginetest.Dial(t, e.Addr(port))
			for i, part := range strings.Split(text, "\n# tls\n") {
				if i > 0 {
					d.StartTLS()
				}
				d.Script(part)
			}
		})
	}
}
