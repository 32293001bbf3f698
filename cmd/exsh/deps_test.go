package main

import (
	"os/exec"
	"strings"
	"testing"
)

// smtpClientSide says whether an engine package is one an SMTP client
// needs (the client, its replies, the protocol's parsing and logs), which
// the labs' simulated hosts use without knowing the engine.
func smtpClientSide(pkg string) bool {
	switch pkg {
	case "exsh/engine/smtpclient", "exsh/engine/replies", "exsh/engine/smtpd", "exsh/engine/protolog":
		return true
	}
	return false
}

// TestImportRules checks the dependency direction of SPEC section 5:
// the shell knows no Exchange object, the engine knows no shell, the EAC is
// a face over the cmdlet table, labs use only the shell and an SMTP
// client, only the binary wires those two in, and only state/boltdb
// touches bbolt.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not available")
	}
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "exsh/...").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	under := func(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		checked++
		for _, dep := range deps {
			switch {
			case under(pkg, "exsh/shell") && (under(dep, "exsh/cmdlets") || under(dep, "exsh/engine") || under(dep, "exsh/state")):
				t.Errorf("%s depends on %s: the shell must not know cmdlets, the engine or the store", pkg, dep)
			case under(pkg, "exsh/engine") && (under(dep, "exsh/shell") || under(dep, "exsh/cmdlets")):
				t.Errorf("%s depends on %s: the engine must not know the shell or the cmdlets", pkg, dep)
			case under(pkg, "exsh/state") && (under(dep, "exsh/shell") || under(dep, "exsh/cmdlets") || under(dep, "exsh/engine")):
				t.Errorf("%s depends on %s: the store imports nothing above it", pkg, dep)
			case under(dep, "exsh/eac") && !under(pkg, "exsh/eac") && !under(pkg, "exsh/cmd"):
				t.Errorf("%s depends on %s: only cmd wires the EAC", pkg, dep)
			case under(pkg, "exsh/eac") && under(dep, "exsh/engine"):
				t.Errorf("%s depends on %s: the EAC reaches the engine through the cmdlets (and the session-end reports cmd hands it)", pkg, dep)
			case !under(pkg, "exsh/labs") && !under(pkg, "exsh/cmd") && under(dep, "exsh/labs"):
				t.Errorf("%s depends on %s: only the binary wires the labs in", pkg, dep)
			case under(pkg, "exsh/labs") && (under(dep, "exsh/state") || under(dep, "exsh/cmdlets") ||
				under(dep, "exsh/engine") && !smtpClientSide(dep)):
				t.Errorf("%s depends on %s: labs drive the organisation through the cmdlets and SMTP, as a student does", pkg, dep)
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found no packages")
	}

	// Only state/boltdb imports bbolt directly.
	out, err = exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "exsh/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			if under(imp, "go.etcd.io/bbolt") && fields[0] != "exsh/state/boltdb" {
				t.Errorf("%s imports %s: only exsh/state/boltdb may", fields[0], imp)
			}
		}
	}
}
