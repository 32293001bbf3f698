package interp

import (
	"fmt"
	"testing"
)

// A script that builds a new pattern each time round a loop keeps the
// cache bounded, and the cached patterns still match as compiled.
func TestPatternCacheBounded(t *testing.T) {
	var c patternCache[string]
	compiles := 0
	compile := func(p string, cs bool) (string, error) {
		compiles++
		return fmt.Sprintf("%s/%v", p, cs), nil
	}
	for i := range 3 * patternCacheSize {
		v, err := c.get(fmt.Sprint("x", i), i%2 == 0, compile)
		if err != nil || v != fmt.Sprintf("x%d/%v", i, i%2 == 0) {
			t.Fatalf("get %d = %q, %v", i, v, err)
		}
		if len(c.m) > patternCacheSize {
			t.Fatalf("cache holds %d patterns, more than %d", len(c.m), patternCacheSize)
		}
	}
	before := compiles
	if _, err := c.get(fmt.Sprint("x", 3*patternCacheSize-1), false, compile); err != nil || compiles != before {
		t.Errorf("a pattern just used was compiled again (compiles %d -> %d)", before, compiles)
	}
	if _, err := c.get(fmt.Sprint("x", 3*patternCacheSize-1), true, compile); err != nil || compiles != before+1 {
		t.Errorf("case-sensitivity is not part of the key")
	}
}

func TestPatternCacheKeepsNoError(t *testing.T) {
	var c patternCache[int]
	bad := func(string, bool) (int, error) { return 0, fmt.Errorf("bad") }
	if _, err := c.get("[", false, bad); err == nil {
		t.Fatal("no error")
	}
	if len(c.m) != 0 {
		t.Errorf("a failed compile was kept")
	}
}
