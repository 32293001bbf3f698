package mail

import (
	"testing"

	"exsh/cmdlets/cmdlettest"
	"exsh/shell/interp"
)

// runtime records what a cmdlet writes (see cmdlettest.Runtime).
type runtime = cmdlettest.Runtime

func invoke(t *testing.T, info *interp.CmdletInfo, bound map[string]any) (*runtime, error) {
	t.Helper()
	return cmdlettest.Invoke(t, info, bound)
}

func find(t *testing.T, list []*interp.CmdletInfo, name string) *interp.CmdletInfo {
	t.Helper()
	return cmdlettest.Find(t, list, name)
}

func strs(v ...string) []any { return cmdlettest.Strs(v...) }
