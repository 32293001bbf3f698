package interp

import (
	"regexp"
	"sync"

	"exsh/shell/wildcard"
)

// patternCacheSize bounds each cache of compiled patterns. Scripts reuse a
// handful of patterns; one that builds a new pattern per loop iteration
// ("-match "x$i"") must not grow the cache without end, so a full cache
// starts over.
const patternCacheSize = 256

// patternCache keeps compiled patterns by their text and case-sensitivity.
type patternCache[V any] struct {
	mu sync.Mutex
	m  map[patternKey]V
}

type patternKey struct {
	pattern string
	cs      bool
}

// get returns the compiled pattern, compiling it on a miss. A pattern that
// does not compile is not kept.
func (c *patternCache[V]) get(pattern string, cs bool, compile func(string, bool) (V, error)) (V, error) {
	k := patternKey{pattern, cs}
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := compile(pattern, cs)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= patternCacheSize {
		c.m = make(map[patternKey]V, patternCacheSize)
	}
	c.m[k] = v
	c.mu.Unlock()
	return v, nil
}

var (
	regexCache    patternCache[*regexp.Regexp]
	wildcardCache patternCache[*wildcard.Pattern]
)
