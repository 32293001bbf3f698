package interp

import (
	"math"
	"reflect"
	"time"

	"exsh/shell/object"
)

func thisTime(c *MethodCall) time.Time { return c.This.(time.Time) }

// dateAdd is DateTime.AddDays and its kin: a fractional count of unit.
func dateAdd(unit time.Duration) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		n, err := c.Float(0)
		if err != nil {
			return nil, err
		}
		return thisTime(c).Add(time.Duration(n * float64(unit))), nil
	}
}

// dateAddMonths is AddMonths (years = false) and AddYears.
func dateAddMonths(years bool) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		n, err := c.Int(0)
		if err != nil {
			return nil, err
		}
		t := thisTime(c)
		if years {
			return t.AddDate(n, 0, 0), nil
		}
		// .NET clamps to the last day of the month.
		y, m, d := t.Date()
		target := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
		last := time.Date(target.Year(), target.Month()+1, 0, 0, 0, 0, 0, t.Location()).Day()
		return target.AddDate(0, 0, min(d, last)-1), nil
	}
}

// dateFormat is a DateTime method that formats with a fixed .NET format.
func dateFormat(format string) Method {
	return func(c *MethodCall) (any, error) { return object.FormatDate(thisTime(c), format), nil }
}

func timeProp(fn func(t time.Time) any) func(any) any {
	return func(v any) any { return fn(v.(time.Time)) }
}

func init() {
	RegisterType(&DotNetType{
		Name:   "System.DateTime",
		GoType: reflect.TypeFor[time.Time](),
		Methods: Methods{
			"AddDays":         dateAdd(24 * time.Hour),
			"AddHours":        dateAdd(time.Hour),
			"AddMinutes":      dateAdd(time.Minute),
			"AddSeconds":      dateAdd(time.Second),
			"AddMilliseconds": dateAdd(time.Millisecond),
			"AddTicks":        dateAdd(100),
			"AddMonths":       dateAddMonths(false),
			"AddYears":        dateAddMonths(true),
			"Add": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				d, err := object.Convert(c.Args[0], "timespan")
				if err != nil {
					return nil, convErr(err)
				}
				return thisTime(c).Add(d.(time.Duration)), nil
			},
			"Subtract": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				switch y := c.Args[0].(type) {
				case time.Time:
					return thisTime(c).Sub(y), nil
				case time.Duration:
					return thisTime(c).Add(-y), nil
				}
				return nil, badArgCount(c.Name, len(c.Args))
			},
			"ToString": func(c *MethodCall) (any, error) {
				if len(c.Args) >= 1 {
					return object.FormatDate(thisTime(c), c.String(0)), nil
				}
				return object.FormatDate(thisTime(c), ""), nil
			},
			"ToUniversalTime":      func(c *MethodCall) (any, error) { return thisTime(c).UTC(), nil },
			"ToLocalTime":          func(c *MethodCall) (any, error) { return thisTime(c).Local(), nil },
			"ToShortDateString":    dateFormat("d"),
			"ToLongDateString":     dateFormat("D"),
			"ToShortTimeString":    dateFormat("t"),
			"ToLongTimeString":     dateFormat("T"),
			"ToFileTime":           dateFileTime,
			"ToFileTimeUtc":        dateFileTime,
			"IsDaylightSavingTime": func(c *MethodCall) (any, error) { return thisTime(c).IsDST(), nil },
		},
		Definitions: map[string]string{
			"Add":               "datetime Add(timespan value)",
			"AddDays":           "datetime AddDays(double value)",
			"AddHours":          "datetime AddHours(double value)",
			"AddMilliseconds":   "datetime AddMilliseconds(double value)",
			"AddMinutes":        "datetime AddMinutes(double value)",
			"AddMonths":         "datetime AddMonths(int months)",
			"AddSeconds":        "datetime AddSeconds(double value)",
			"AddYears":          "datetime AddYears(int value)",
			"Subtract":          "timespan Subtract(datetime value), datetime Subtract(timespan value)",
			"ToLocalTime":       "datetime ToLocalTime()",
			"ToLongDateString":  "string ToLongDateString()",
			"ToShortDateString": "string ToShortDateString()",
			"ToUniversalTime":   "datetime ToUniversalTime()",
		},
		Properties: dateTimeProperties(),
		Static: Methods{
			"Parse": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(1); err != nil {
					return nil, err
				}
				return castCall(object.Convert(c.Args[0], "datetime"))
			},
			"ParseExact": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(2); err != nil {
					return nil, err
				}
				return parseExact(c.String(0), c.String(1))
			},
			"DaysInMonth": func(c *MethodCall) (any, error) {
				if err := c.Need(2); err != nil {
					return nil, err
				}
				y, _ := object.ToInt(c.Args[0])
				m, _ := object.ToInt(c.Args[1])
				return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day(), nil
			},
			"IsLeapYear": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(1); err != nil {
					return nil, err
				}
				y, _ := object.ToInt(c.Args[0])
				return y%4 == 0 && (y%100 != 0 || y%400 == 0), nil
			},
			"SpecifyKind": func(c *MethodCall) (any, error) {
				if err := c.AtLeast(1); err != nil {
					return nil, err
				}
				return c.Args[0], nil
			},
		},
		StaticProperties: Properties{
			"Now":      func(any) any { return time.Now() },
			"UtcNow":   func(any) any { return time.Now().UTC() },
			"Today":    func(any) any { return object.Midnight(time.Now()) },
			"MinValue": func(any) any { return time.Date(1, 1, 1, 0, 0, 0, 0, time.Local) },
			"MaxValue": func(any) any { return time.Date(9999, 12, 31, 23, 59, 59, 999999900, time.Local) },
		},
	})

	spanFrom := func(unit time.Duration) Method {
		return func(c *MethodCall) (any, error) {
			if err := c.Need(1); err != nil {
				return nil, err
			}
			x, err := c.Float(0)
			if err != nil {
				return nil, err
			}
			return time.Duration(x * float64(unit)), nil
		}
	}
	RegisterType(&DotNetType{
		Name:   "System.TimeSpan",
		GoType: reflect.TypeFor[time.Duration](),
		Methods: Methods{
			"Add":      spanAdd(1),
			"Subtract": spanAdd(-1),
			"Negate":   func(c *MethodCall) (any, error) { return -c.This.(time.Duration), nil },
			"Duration": func(c *MethodCall) (any, error) {
				if d := c.This.(time.Duration); d < 0 {
					return -d, nil
				}
				return c.This, nil
			},
			"ToString": func(c *MethodCall) (any, error) {
				if len(c.Args) != 1 {
					return nil, ErrNoOverload
				}
				return object.FormatValue(c.This, c.String(0)), nil
			},
		},
		Properties: timeSpanProperties(),
		Static: Methods{
			"FromDays":         spanFrom(24 * time.Hour),
			"FromHours":        spanFrom(time.Hour),
			"FromMinutes":      spanFrom(time.Minute),
			"FromSeconds":      spanFrom(time.Second),
			"FromMilliseconds": spanFrom(time.Millisecond),
			"FromTicks":        spanFrom(100),
			"Parse": func(c *MethodCall) (any, error) {
				if err := c.Need(1); err != nil {
					return nil, err
				}
				return castCall(object.Convert(c.String(0), "timespan"))
			},
		},
		StaticProperties: Properties{
			"Zero":     func(any) any { return time.Duration(0) },
			"MaxValue": func(any) any { return time.Duration(math.MaxInt64) },
		},
	})
}

func dateFileTime(c *MethodCall) (any, error) {
	return int((thisTime(c).UnixNano() / 100) + 116444736000000000), nil
}

func spanAdd(sign time.Duration) Method {
	return func(c *MethodCall) (any, error) {
		if err := c.Need(1); err != nil {
			return nil, err
		}
		d, err := object.Convert(c.Args[0], "timespan")
		if err != nil {
			return nil, convErr(err)
		}
		return c.This.(time.Duration) + sign*d.(time.Duration), nil
	}
}

// dateTimeProperties are DateTime's properties, read by
// [object.DateTimeProperty] as the formatter reads them.
func dateTimeProperties() Properties {
	ps := Properties{}
	for _, n := range object.DateTimeProperties {
		ps[n] = timeProp(func(t time.Time) any { v, _ := object.DateTimeProperty(t, n); return v })
	}
	return ps
}

// timeSpanProperties are TimeSpan's properties, read by
// [object.TimeSpanProperty] as the formatter reads them.
func timeSpanProperties() Properties {
	ps := Properties{}
	for _, n := range object.TimeSpanProperties {
		ps[n] = func(v any) any { r, _ := object.TimeSpanProperty(v.(time.Duration), n); return r }
	}
	return ps
}
