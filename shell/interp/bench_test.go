package interp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"exsh/shell/syntax"
)

// script1000 is a 1,000-line script mixing the constructs lab scripts use.
var script1000 = func() string {
	var b strings.Builder
	b.WriteString("function Get-Square { param([int]$n) $n * $n }\n")
	lines := 1
	for i := 0; lines < 1000; i++ {
		chunk := []string{
			fmt.Sprintf("$x%d = %d", i, i),
			fmt.Sprintf("$s%d = \"value $x%d and $($x%d + 1)\"", i, i, i),
			fmt.Sprintf("if ($x%d %% 2 -eq 0) { $even = $true } else { $even = $false }", i),
			fmt.Sprintf("$h%d = @{ Name = 'n%d'; Size = %dMB }", i, i, i%50),
			fmt.Sprintf("$sq = Get-Square -n %d", i%100),
			fmt.Sprintf("foreach ($k in 1..3) { $t = $k + $x%d }", i),
			fmt.Sprintf("$list = 1..5 | Where-Object { $_ -gt 2 } | ForEach-Object { $_ * %d }", i%7+1),
			fmt.Sprintf("$m = 'EX01\\Relay%d' -match '^(?<srv>\\w+)\\\\(?<name>.+)$'", i),
			fmt.Sprintf("$f = '{0:N2} {1}' -f %d.5, $h%d.Name", i, i),
			"switch ($x0) { 0 { $z = 'zero' } default { $z = 'other' } }",
		}
		for _, l := range chunk {
			if lines == 1000 {
				break
			}
			b.WriteString(l + "\n")
			lines++
		}
	}
	return b.String()
}()

// cpuTime reports the process's CPU time per iteration as "cpu-ns/op":
// on a loaded machine it is steadier than wall time.
func cpuTime(b *testing.B) func() {
	before := rusageCPU()
	return func() {
		b.ReportMetric(float64(rusageCPU()-before)/float64(b.N), "cpu-ns/op")
	}
}

func rusageCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkParse1000(b *testing.B) {
	b.SetBytes(int64(len(script1000)))
	defer cpuTime(b)()
	for b.Loop() {
		if _, err := syntax.Parse(script1000, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval1000(b *testing.B) {
	defer cpuTime(b)()
	for b.Loop() {
		var out, errOut bytes.Buffer
		s := newTestSession(&out, &errOut)
		if err := s.Run(context.Background(), script1000, ""); err != nil || errOut.Len() > 0 {
			b.Fatalf("%v %s", err, errOut.String())
		}
	}
}

// BenchmarkWherePipeline is 1..1000 | Where-Object { $_ % 2 } | Count-Input.
func BenchmarkWherePipeline(b *testing.B) {
	s := NewSession(Config{Stdout: io.Discard, Stderr: io.Discard, Commands: testCommands()})
	defer cpuTime(b)()
	for b.Loop() {
		out, err := s.Invoke(context.Background(), "1..1000 | Where-Object { $_ % 2 } | Count-Input")
		if err != nil || len(out) != 1 || out[0] != 500 {
			b.Fatalf("%v %v", out, err)
		}
	}
}

func TestScript1000Runs(t *testing.T) {
	var out, errOut bytes.Buffer
	s := newTestSession(&out, &errOut)
	if err := s.Run(context.Background(), script1000, ""); err != nil || errOut.Len() > 0 {
		t.Fatalf("%v %s", err, errOut.String())
	}
	if n := strings.Count(script1000, "\n"); n != 1000 {
		t.Fatalf("script has %d lines", n)
	}
}
