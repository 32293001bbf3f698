package object

import (
	"strings"
	"time"
)

// DateTimeProperties are System.DateTime's properties in the order
// PowerShell lists them for Get-Date.
var DateTimeProperties = []string{"DisplayHint", "DateTime", "Date", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond", "Minute", "Month", "Second", "Ticks", "TimeOfDay", "Year"}

// DayOfWeek is System.DayOfWeek: prints as its name, compares as a string.
type DayOfWeek time.Weekday

func (d DayOfWeek) String() string { return time.Weekday(d).String() }

// EnumType names the .NET enum; the formatter right-aligns enums in
// generated tables.
func (DayOfWeek) EnumType() string { return "System.DayOfWeek" }

// ticksSince0001 is the .NET tick count of the Unix epoch.
const ticksSince0001 = 621355968000000000

// Midnight is t's date at 00:00 in t's zone (DateTime.Date).
func Midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// DateTimeProperty returns the named (case-insensitive) property of a
// DateTime. Ticks count the wall-clock time, as .NET's do for a local or
// UTC DateTime.
func DateTimeProperty(t time.Time, name string) (any, bool) {
	switch strings.ToLower(name) {
	case "displayhint":
		return "DateTime", true
	case "datetime":
		return FormatDate(t, "dddd, MMMM d, yyyy h:mm:ss tt"), true
	case "date":
		return Midnight(t), true
	case "day":
		return t.Day(), true
	case "dayofweek":
		return DayOfWeek(t.Weekday()), true
	case "dayofyear":
		return t.YearDay(), true
	case "hour":
		return t.Hour(), true
	case "kind":
		if t.Location() == time.UTC {
			return "Utc", true
		}
		return "Local", true
	case "millisecond":
		return t.Nanosecond() / 1e6, true
	case "minute":
		return t.Minute(), true
	case "month":
		return int(t.Month()), true
	case "second":
		return t.Second(), true
	case "ticks":
		_, off := t.Zone()
		return t.Unix()*1e7 + int64(off)*1e7 + int64(t.Nanosecond()/100) + ticksSince0001, true
	case "timeofday":
		return t.Sub(Midnight(t)), true
	case "year":
		return t.Year(), true
	}
	return nil, false
}

// TimeSpanProperties are System.TimeSpan's properties in .NET's order.
var TimeSpanProperties = []string{"Days", "Hours", "Minutes", "Seconds", "Milliseconds", "Ticks", "TotalDays", "TotalHours", "TotalMinutes", "TotalSeconds", "TotalMilliseconds"}

// TimeSpanProperty returns the named (case-insensitive) property of a
// TimeSpan; a TimeSpan counts whole ticks of 100 ns.
func TimeSpanProperty(d time.Duration, name string) (any, bool) {
	ticks := int64(d / 100)
	switch strings.ToLower(name) {
	case "days":
		return int(ticks / 864_000_000_000), true
	case "hours":
		return int(ticks / 36_000_000_000 % 24), true
	case "minutes":
		return int(ticks / 600_000_000 % 60), true
	case "seconds":
		return int(ticks / 10_000_000 % 60), true
	case "milliseconds":
		return int(ticks / 10_000 % 1000), true
	case "ticks":
		return ticks, true
	case "totaldays":
		return float64(ticks) / 864e9, true
	case "totalhours":
		return float64(ticks) / 36e9, true
	case "totalminutes":
		return float64(ticks) / 6e8, true
	case "totalseconds":
		return float64(ticks) / 1e7, true
	case "totalmilliseconds":
		return float64(ticks) / 1e4, true
	}
	return nil, false
}
