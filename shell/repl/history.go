package repl

import (
	"bufio"
	"os"
	"strings"
)

const defaultHistorySize = 1000

// loadHistory reads the history file, keeping its last size lines; when
// the file has grown past twice that, it is rewritten with those lines.
func loadHistory(path string, size int) []string {
	if path == "" {
		return nil
	}
	if size <= 0 {
		size = defaultHistorySize
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	f.Close()
	if len(lines) > size {
		trimmed := lines[len(lines)-size:]
		if len(lines) > 2*size {
			rewriteHistory(path, trimmed)
		}
		lines = trimmed
	}
	return lines
}

func rewriteHistory(path string, lines []string) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
	}
}

// appendHistory adds one entered line to the history file. Each line is
// one append, so shells sharing a data path interleave whole lines.
func appendHistory(path, line string) {
	if path == "" || strings.TrimSpace(line) == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	f.WriteString(line + "\n")
	f.Close()
}
