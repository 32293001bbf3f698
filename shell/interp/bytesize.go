package interp

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// String formats the size as Exchange does: "36 MB (37,748,736 bytes)",
// or "Unlimited".
func (b ByteSize) String() string {
	if b < 0 {
		return "Unlimited"
	}
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	v := float64(b)
	u := 0
	for u < len(units)-1 && v >= 1024 {
		v /= 1024
		u++
	}
	num := strconv.FormatFloat(math.Floor(v*1000+0.5)/1000, 'f', -1, 64)
	return fmt.Sprintf("%s %s (%s bytes)", num, units[u], groupDigits(int64(b)))
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

var byteSizeText = regexp.MustCompile(`(?i)^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|PB)?\s*$`)
var byteSizeBytes = regexp.MustCompile(`\(([0-9,]+) bytes\)`)

// ParseByteSize parses an Exchange size: "36MB", "36 MB", "1.5GB",
// "37748736", "36 MB (37,748,736 bytes)" or "Unlimited".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "unlimited") {
		return Unlimited, nil
	}
	if m := byteSizeBytes.FindStringSubmatch(t); m != nil {
		n, err := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
		if err == nil {
			return ByteSize(n), nil
		}
	}
	m := byteSizeText.FindStringSubmatch(t)
	if m == nil {
		return 0, fmt.Errorf("The value %q could not be converted to a ByteQuantifiedSize.", s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40, "PB": 1 << 50}[strings.ToUpper(m[2])]
	return ByteSize(int64(f * mult)), nil
}

// DotNetTypeName is the type GetType() reports for a size.
func (ByteSize) DotNetTypeName() string { return "Microsoft.Exchange.Data.ByteQuantifiedSize" }
