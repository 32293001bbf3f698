package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// resolveDataPath returns the absolute data path: -DataPath, else
// $EXSH_DATA, else $XDG_DATA_HOME/exsh, else ~/.local/share/exsh.
func resolveDataPath(flag string, getenv func(string) string) (string, error) {
	p := flag
	if p == "" {
		p = getenv("EXSH_DATA")
	}
	if p == "" {
		if x := getenv("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
			p = filepath.Join(x, "exsh")
		}
	}
	if p == "" {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", errors.New("cannot find a data path: set -DataPath, $EXSH_DATA or $HOME")
			}
			home = h
		}
		p = filepath.Join(home, ".local", "share", "exsh")
	}
	if strings.HasPrefix(p, "~/") {
		if home := getenv("HOME"); home != "" {
			p = filepath.Join(home, p[2:])
		}
	}
	return filepath.Abs(p)
}

// exinstall is the value of $exinstall: the data path with a trailing
// separator, as %ExchangeInstallPath% has one.
func exinstall(dataPath string) string {
	return strings.TrimSuffix(dataPath, string(filepath.Separator)) + string(filepath.Separator)
}

// defaultPortOffset is 0 when this process may bind ports below 1024 and
// 10000 otherwise; $EXSH_PORTOFFSET overrides the guess.
func defaultPortOffset(getenv func(string) string) int {
	if v := getenv("EXSH_PORTOFFSET"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 65535 {
			return n
		}
	}
	if canBindLowPorts() {
		return 0
	}
	return 10000
}

// canBindLowPorts tries to bind a privileged port on loopback. Permission
// denied means no; success, or the port being busy, means the process has
// the right (root, CAP_NET_BIND_SERVICE, or a lowered
// net.ipv4.ip_unprivileged_port_start).
func canBindLowPorts() bool {
	for _, port := range []int{1023, 1022, 1021} {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			l.Close()
			return true
		}
		if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
			return false
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return true
		}
	}
	return os.Geteuid() == 0
}

// setExchangeEnvironment sets the environment variables scripts written for
// an Exchange server rely on: $env:ExchangeInstallPath (the data path, as
// $exinstall) and, where the system has none, $env:TEMP and $env:TMP.
func setExchangeEnvironment(dataPath string, lookup func(string) (string, bool), set func(string, string) error) {
	set("ExchangeInstallPath", exinstall(dataPath))
	for _, name := range []string{"TEMP", "TMP"} {
		if _, ok := lookup(name); !ok {
			set(name, os.TempDir())
		}
	}
}
