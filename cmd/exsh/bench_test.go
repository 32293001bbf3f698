package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"exsh/shell/remote"
)

// These benchmarks time whole exsh processes, as a user or a lab script
// sees them: start, run one -Command, exit.

func benchExsh(b *testing.B, env []string, args ...string) {
	b.Helper()
	exsh := exshPath(b)
	for b.Loop() {
		cmd := exec.Command(exsh, args...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("exsh %q: %v\n%s", args, err, out)
		}
	}
}

// BenchmarkProcessStart is the floor: start, print the version, exit.
func BenchmarkProcessStart(b *testing.B) {
	benchExsh(b, testEnv(b.TempDir()), "-Version")
}

// BenchmarkLanguagePipeline is a script that needs no store: exsh must not
// open one.
func BenchmarkLanguagePipeline(b *testing.B) {
	benchExsh(b, testEnv(b.TempDir()), "-NoLogo", "-Command", "1..1000 | Where-Object { $_ % 2 } | Measure-Object")
}

// BenchmarkGetReceiveConnectorStandalone opens the store and starts the
// engine in the process, on a data path that is already set up.
func BenchmarkGetReceiveConnectorStandalone(b *testing.B) {
	env := testEnv(b.TempDir())
	setupCmd := exec.Command(exshPath(b), "-Command", "Get-ReceiveConnector | Out-Null")
	setupCmd.Env = append(os.Environ(), env...)
	if out, err := setupCmd.CombinedOutput(); err != nil {
		b.Fatalf("setup: %v\n%s", err, out)
	}
	b.ResetTimer()
	benchExsh(b, env, "-NoLogo", "-Command", "Get-ReceiveConnector")
}

// BenchmarkGetReceiveConnectorAttached runs the cmdlet in an exsh -Serve.
func BenchmarkGetReceiveConnectorAttached(b *testing.B) {
	dir := b.TempDir()
	env := testEnv(dir)
	srv := exec.Command(exshPath(b), "-Serve", "-NoLogo")
	srv.Env = append(os.Environ(), env...)
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	sock := remote.SocketPath(dir + "/data")
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := remote.Dial(context.Background(), sock)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.ResetTimer()
	benchExsh(b, env, "-NoLogo", "-Command", "Get-ReceiveConnector")
}

// BenchmarkRunLanguagePipelineInProcess is the same script through run,
// without process start: what exsh itself adds.
func BenchmarkRunLanguagePipelineInProcess(b *testing.B) {
	for _, kv := range testEnv(b.TempDir()) {
		k, v, _ := cutEnv(kv)
		b.Setenv(k, v)
	}
	for b.Loop() {
		if code := run([]string{"-NoLogo", "-Command", "1..1000 | Where-Object { $_ % 2 } | Measure-Object"}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit status %d", code)
		}
	}
}
