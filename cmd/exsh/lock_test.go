package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"exsh/state/boltdb"
)

// A process that holds the store without serving sessions (another
// -Command run, here this test) makes exsh give up with a clear message
// after a bounded wait, never hang on the file lock.
func TestLockedStoreDoesNotHang(t *testing.T) {
	dir := t.TempDir()
	env := testEnv(dir)
	st, err := boltdb.OpenDataPath(filepath.Join(dir, "data"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cmd := exec.Command(exshPath(t), "-Command", "Get-ReceiveConnector")
	cmd.Env = append(os.Environ(), env...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err == nil {
		t.Fatalf("exsh succeeded on a locked store:\n%s", out)
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	if !strings.Contains(string(out), "in use by another exsh process") {
		t.Errorf("message does not say why:\n%s", out)
	}
	if elapsed > openTimeout+5*time.Second {
		t.Errorf("took %v", elapsed)
	}

	// Language-only scripts do not need the store at all.
	cmd = exec.Command(exshPath(t), "-Command", "1+1")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "2" {
		t.Errorf("language-only script on a locked store: %v\n%s", err, out)
	}
}
