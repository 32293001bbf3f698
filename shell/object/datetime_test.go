package object

import (
	"testing"
	"time"
)

func TestDateTimeProperty(t *testing.T) {
	d := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		want any
	}{
		{"Ticks", int64(638397614450000000)},
		{"ticks", int64(638397614450000000)},
		{"DayOfWeek", DayOfWeek(time.Tuesday)},
		{"DayOfYear", 2},
		{"TimeOfDay", 3*time.Hour + 4*time.Minute + 5*time.Second},
		{"Kind", "Utc"},
		{"DateTime", "Tuesday, January 2, 2024 3:04:05 AM"},
	}
	for _, tc := range tests {
		got, ok := DateTimeProperty(d, tc.name)
		if !ok || got != tc.want {
			t.Errorf("DateTimeProperty(%s) = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
	for _, n := range DateTimeProperties {
		if _, ok := DateTimeProperty(d, n); !ok {
			t.Errorf("listed property %s has no value", n)
		}
	}
}
