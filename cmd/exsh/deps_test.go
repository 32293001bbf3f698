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
// client, only the binary wires those two in, only cmd and the test
// helpers choose a store backend (state/boltdb, state/etcd): everything
// else works on the interfaces in state, only state/boltdb touches bbolt
// and only state/etcd touches etcd.
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

	// Direct imports (test files aside: tests pick the backend they run
	// on).
	out, err = exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "exsh/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	backends := []string{"exsh/state/boltdb", "exsh/state/etcd"}
	// choosers may open a backend: the binary, and the helpers that open
	// stores for tests.
	choosers := []string{"exsh/cmd", "exsh/state/statetest", "exsh/engine/enginetest", "exsh/engine/backend/backendtest"}
	isAny := func(pkg string, roots []string) bool {
		for _, r := range roots {
			if under(pkg, r) {
				return true
			}
		}
		return false
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		for _, imp := range fields[1:] {
			switch {
			case under(imp, "go.etcd.io/bbolt") && pkg != "exsh/state/boltdb":
				t.Errorf("%s imports %s: only exsh/state/boltdb may", pkg, imp)
			case under(imp, "go.etcd.io/etcd") && pkg != "exsh/state/etcd":
				t.Errorf("%s imports %s: only exsh/state/etcd may", pkg, imp)
			case isAny(imp, backends) && !isAny(pkg, backends) && !isAny(pkg, choosers):
				t.Errorf("%s imports %s: a store backend is chosen only by %s; use the interfaces in exsh/state", pkg, imp, strings.Join(choosers, ", "))
			}
		}
	}
}
