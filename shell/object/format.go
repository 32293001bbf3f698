package object

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatComposite implements .NET composite formatting, as PowerShell's -f
// operator does: "{0}", "{1,-10}", "{0:N2}", with "{{" and "}}" escapes.
func FormatComposite(format string, args []any) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		switch c {
		case '{':
			if i+1 < len(format) && format[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("Error formatting a string: Input string was not in a correct format..")
			}
			item := format[i+1 : i+end]
			i += end
			spec := ""
			if k := strings.IndexByte(item, ':'); k >= 0 {
				item, spec = item[:k], item[k+1:]
			}
			align := 0
			if k := strings.IndexByte(item, ','); k >= 0 {
				a, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
				if err != nil {
					return "", fmt.Errorf("Error formatting a string: Input string was not in a correct format..")
				}
				align = a
				item = item[:k]
			}
			idx, err := strconv.Atoi(strings.TrimSpace(item))
			if err != nil || idx < 0 {
				return "", fmt.Errorf("Error formatting a string: Input string was not in a correct format..")
			}
			if idx >= len(args) {
				return "", fmt.Errorf("Error formatting a string: Index (zero based) must be greater than or equal to zero and less than the size of the argument list..")
			}
			s := FormatValue(args[idx], spec)
			if n := len([]rune(s)); align > 0 && n < align {
				s = strings.Repeat(" ", align-n) + s
			} else if align < 0 && n < -align {
				s += strings.Repeat(" ", -align-n)
			}
			b.WriteString(s)
		case '}':
			if i+1 < len(format) && format[i+1] == '}' {
				i++
			}
			b.WriteByte('}')
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// FormatValue formats v with a .NET format string (numbers: N2, F1, D5,
// X, P, E, C, G, custom "0.00"/"#,##0"; dates: standard and custom date
// formats; timespans: "c", "g", custom). An empty format is ToString.
func FormatValue(v any, format string) string {
	if format == "" {
		if t, ok := v.(time.Time); ok {
			return FormatDate(t, "G") // formatting uses the current culture
		}
		return ToString(v)
	}
	switch x := v.(type) {
	case time.Time:
		return FormatDate(x, format)
	case time.Duration:
		return formatTimeSpanCustom(x, format)
	case string, bool, nil:
		return ToString(v)
	}
	if IsNumber(v) {
		n, _ := normNumber(v)
		return FormatNumber(n, format)
	}
	return ToString(v)
}

// FormatNumber formats an int, float64 or Decimal with a .NET numeric
// format string.
func FormatNumber(n any, format string) string {
	if d, ok := n.(Decimal); ok {
		return formatDecimal(d, format)
	}
	f, _ := ToFloat(n)
	i, isInt := n.(int)
	spec := format[0]
	prec := -1
	if len(format) > 1 {
		p, err := strconv.Atoi(format[1:])
		if err != nil {
			return formatCustomNumber(f < 0, floatFixed(f), format)
		}
		prec = p
	}
	switch spec {
	case 'N', 'n':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(strconv.FormatFloat(roundAway(f, prec), 'f', prec, 64))
	case 'F', 'f':
		if prec < 0 {
			prec = 2
		}
		return strconv.FormatFloat(roundAway(f, prec), 'f', prec, 64)
	case 'D', 'd':
		if !isInt {
			return ToString(n)
		}
		s := strconv.Itoa(abs(i))
		for len(s) < prec {
			s = "0" + s
		}
		if i < 0 {
			s = "-" + s
		}
		return s
	case 'X', 'x':
		if !isInt {
			return ToString(n)
		}
		u := uint64(i)
		if i < 0 && i >= math.MinInt32 {
			u = uint64(uint32(int32(i)))
		}
		s := strconv.FormatUint(u, 16)
		if spec == 'X' {
			s = strings.ToUpper(s)
		}
		for len(s) < prec {
			s = "0" + s
		}
		return s
	case 'P', 'p':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(strconv.FormatFloat(roundAway(f*100, prec), 'f', prec, 64)) + " %"
	case 'C', 'c':
		if prec < 0 {
			prec = 2
		}
		s := groupThousands(strconv.FormatFloat(roundAway(math.Abs(f), prec), 'f', prec, 64))
		if f < 0 {
			return "($" + s + ")"
		}
		return "$" + s
	case 'E', 'e':
		if prec < 0 {
			prec = 6
		}
		s := strconv.FormatFloat(f, 'e', prec, 64)
		// .NET uses three exponent digits: 1.234560E+003.
		if k := strings.IndexByte(s, 'e'); k >= 0 {
			exp := s[k+2:]
			for len(exp) < 3 {
				exp = "0" + exp
			}
			s = s[:k] + string(spec) + s[k+1:k+2] + exp
		}
		return s
	case 'G', 'g', 'R', 'r':
		if prec <= 0 {
			return ToString(n)
		}
		return FormatFloat(f)
	}
	return formatCustomNumber(f < 0, floatFixed(f), format)
}

// formatDecimal formats a Decimal with a .NET numeric format string. The
// fixed-point formats (N, F, P, C and custom ones) round its exact digits
// half away from zero, as .NET does; "G" (and no precision) is ToString,
// keeping the scale. D and X do not apply to decimals and give ToString;
// E goes through a double.
func formatDecimal(d Decimal, format string) string {
	spec := format[0]
	prec := -1
	if len(format) > 1 {
		p, err := strconv.Atoi(format[1:])
		if err != nil {
			return formatCustomNumber(d.Sign() < 0, decimalFixed(d), format)
		}
		prec = p
	}
	if prec < 0 {
		prec = 2
	}
	switch spec {
	case 'N', 'n':
		return groupThousands(d.fixed(prec))
	case 'F', 'f':
		return d.fixed(prec)
	case 'P', 'p':
		return groupThousands(d.shift(2).fixed(prec)) + " %"
	case 'C', 'c':
		s := groupThousands(d.Abs().fixed(prec))
		if d.Sign() < 0 && strings.Trim(s, "0.,") != "" {
			return "($" + s + ")"
		}
		return "$" + s
	case 'D', 'd', 'X', 'x':
		return d.text()
	case 'E', 'e':
		return FormatNumber(d.Float64(), format)
	case 'G', 'g', 'R', 'r':
		if len(format) == 1 || format[1:] == "0" {
			return d.text()
		}
		return FormatNumber(d.Float64(), format)
	}
	return formatCustomNumber(d.Sign() < 0, decimalFixed(d), format)
}

// fixedFunc returns a number's absolute value (times 100 when percent)
// rounded half away from zero to prec decimal places, with every place.
type fixedFunc func(percent bool, prec int) string

func floatFixed(f float64) fixedFunc {
	return func(percent bool, prec int) string {
		x := math.Abs(f)
		if percent {
			x *= 100
		}
		return strconv.FormatFloat(roundAway(x, prec), 'f', prec, 64)
	}
}

func decimalFixed(d Decimal) fixedFunc {
	return func(percent bool, prec int) string {
		x := d.Abs()
		if percent {
			x = x.shift(2)
		}
		return x.fixed(prec)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// roundAway rounds half away from zero at prec decimals, as .NET's
// numeric formatting does.
func roundAway(f float64, prec int) float64 {
	p := math.Pow(10, float64(prec))
	r := math.Round(f*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return f
	}
	return r
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac := s, ""
	if k := strings.IndexByte(s, '.'); k >= 0 {
		intPart, frac = s[:k], s[k:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + frac
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}

// formatCustomNumber handles custom numeric formats such as "0.00",
// "#,##0", "000", "0.##" and "0%"; neg says the number is negative and
// fixed spells its digits.
func formatCustomNumber(neg bool, fixed fixedFunc, format string) string {
	// Literal text around the digit placeholders is kept.
	start := strings.IndexAny(format, "0#")
	if start < 0 {
		return format
	}
	end := strings.LastIndexAny(format, "0#") + 1
	prefix, pat, suffix := format[:start], format[start:end], format[end:]
	percent := strings.Contains(suffix, "%") || strings.Contains(prefix, "%")
	grouping := strings.Contains(pat, ",")
	pat = strings.ReplaceAll(pat, ",", "")
	intPat, fracPat := pat, ""
	if k := strings.IndexByte(pat, '.'); k >= 0 {
		intPat, fracPat = pat[:k], pat[k+1:]
	}
	// A '.' right after the placeholders belongs to the pattern.
	suffix = strings.TrimPrefix(suffix, ".")
	minFrac := strings.Count(fracPat, "0")
	maxFrac := len(fracPat)
	s := fixed(percent, maxFrac)
	ip, fp := s, ""
	if k := strings.IndexByte(s, '.'); k >= 0 {
		ip, fp = s[:k], s[k+1:]
	}
	for len(fp) > minFrac && strings.HasSuffix(fp, "0") {
		fp = fp[:len(fp)-1]
	}
	minInt := strings.Count(intPat, "0")
	if ip == "0" && minInt == 0 {
		ip = ""
	}
	for len(ip) < minInt {
		ip = "0" + ip
	}
	if grouping && ip != "" {
		ip = groupThousands(ip)
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return prefix + out + suffix
}

var (
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

// standardDateFormats maps .NET's one-letter date formats to en-US patterns.
var standardDateFormats = map[string]string{
	"d": "M/d/yyyy",
	"D": "dddd, MMMM d, yyyy",
	"f": "dddd, MMMM d, yyyy h:mm tt",
	"F": "dddd, MMMM d, yyyy h:mm:ss tt",
	"g": "M/d/yyyy h:mm tt",
	"G": "M/d/yyyy h:mm:ss tt",
	"m": "MMMM d",
	"M": "MMMM d",
	"o": "yyyy-MM-ddTHH:mm:ss.fffffffK",
	"O": "yyyy-MM-ddTHH:mm:ss.fffffffK",
	"r": "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
	"R": "ddd, dd MMM yyyy HH:mm:ss 'GMT'",
	"s": "yyyy-MM-ddTHH:mm:ss",
	"t": "h:mm tt",
	"T": "h:mm:ss tt",
	"u": "yyyy-MM-dd HH:mm:ss'Z'",
	"U": "dddd, MMMM d, yyyy h:mm:ss tt",
	"y": "MMMM yyyy",
	"Y": "MMMM yyyy",
}

// FormatDate formats t with a .NET date format string (standard or
// custom) in the en-US culture. An empty format is "G".
func FormatDate(t time.Time, format string) string {
	if format == "" {
		format = "G"
	}
	if std, ok := standardDateFormats[format]; ok {
		switch format {
		case "r", "R", "u":
			t = t.UTC()
		case "U":
			t = t.UTC()
		}
		format = std
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == c {
			n++
		}
		switch c {
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				fmt.Fprintf(&b, "%02d", t.Day())
			case 3:
				b.WriteString(dayNames[t.Weekday()][:3])
			default:
				b.WriteString(dayNames[t.Weekday()])
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case 2:
				fmt.Fprintf(&b, "%02d", int(t.Month()))
			case 3:
				b.WriteString(monthNames[t.Month()-1][:3])
			default:
				b.WriteString(monthNames[t.Month()-1])
			}
		case 'y':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Year() % 100))
			case 2:
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			default:
				fmt.Fprintf(&b, "%0*d", n, t.Year())
			}
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%0*d", min(n, 2), h)
		case 'H':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Hour())
		case 'm':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Minute())
		case 's':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Second())
		case 'f', 'F':
			digits := fmt.Sprintf("%09d", t.Nanosecond())[:min(n, 7)]
			if c == 'F' {
				digits = strings.TrimRight(digits, "0")
			}
			b.WriteString(digits)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			if n == 1 {
				ampm = ampm[:1]
			}
			b.WriteString(ampm)
		case 'z':
			_, off := t.Zone()
			sign := '+'
			if off < 0 {
				sign = '-'
				off = -off
			}
			switch n {
			case 1:
				fmt.Fprintf(&b, "%c%d", sign, off/3600)
			case 2:
				fmt.Fprintf(&b, "%c%02d", sign, off/3600)
			default:
				fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off%3600/60)
			}
		case 'K':
			if t.Location() == time.UTC {
				b.WriteByte('Z')
			} else {
				_, off := t.Zone()
				sign := '+'
				if off < 0 {
					sign = '-'
					off = -off
				}
				fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off%3600/60)
			}
			n = 1
		case '\'', '"':
			end := strings.IndexByte(format[i+1:], c)
			if end < 0 {
				b.WriteString(format[i+1:])
				return b.String()
			}
			b.WriteString(format[i+1 : i+1+end])
			n = end + 2
		case '\\':
			if i+1 < len(format) {
				b.WriteByte(format[i+1])
			}
			n = 2
		case '%':
			n = 1
		default:
			b.WriteString(format[i : i+n])
		}
		i += n
	}
	return b.String()
}

func formatTimeSpanCustom(d time.Duration, format string) string {
	switch format {
	case "c", "t", "T", "g":
		return FormatTimeSpan(d)
	}
	ticks := int64(d / 100)
	if ticks < 0 {
		ticks = -ticks
	}
	days := ticks / (864_000_000_000)
	h := ticks / 36_000_000_000 % 24
	m := ticks / 600_000_000 % 60
	s := ticks / 10_000_000 % 60
	frac := ticks % 10_000_000
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == c {
			n++
		}
		switch c {
		case 'd':
			fmt.Fprintf(&b, "%0*d", n, days)
		case 'h':
			fmt.Fprintf(&b, "%0*d", min(n, 2), h)
		case 'm':
			fmt.Fprintf(&b, "%0*d", min(n, 2), m)
		case 's':
			fmt.Fprintf(&b, "%0*d", min(n, 2), s)
		case 'f', 'F':
			digits := fmt.Sprintf("%07d", frac)[:min(n, 7)]
			if c == 'F' {
				digits = strings.TrimRight(digits, "0")
			}
			b.WriteString(digits)
		case '\\':
			if i+1 < len(format) {
				b.WriteByte(format[i+1])
			}
			n = 2
		case '\'':
			end := strings.IndexByte(format[i+1:], '\'')
			if end < 0 {
				end = len(format) - i - 1
			}
			b.WriteString(format[i+1 : i+1+end])
			n = end + 2
		default:
			b.WriteString(format[i : i+n])
		}
		i += n
	}
	return b.String()
}
