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

func TestTimeSpanProperty(t *testing.T) {
	d := 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond
	tests := []struct {
		name string
		want any
	}{
		{"Days", 1},
		{"hours", 2},
		{"Minutes", 3},
		{"Seconds", 4},
		{"Milliseconds", 5},
		{"Ticks", int64(d / 100)},
		{"TotalSeconds", 93784.005},
		{"TotalMilliseconds", 93784005.0},
	}
	for _, tc := range tests {
		got, ok := TimeSpanProperty(d, tc.name)
		if !ok || got != tc.want {
			t.Errorf("TimeSpanProperty(%s) = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
	}
	for _, n := range TimeSpanProperties {
		if _, ok := TimeSpanProperty(d, n); !ok {
			t.Errorf("listed property %s has no value", n)
		}
	}
}

func TestHashtableProperty(t *testing.T) {
	h := NewHashtable()
	h.Set("a", 1)
	h.Set("b", 2)
	if v, ok := h.Property("COUNT"); !ok || v != 2 {
		t.Errorf("Count = %v, %v", v, ok)
	}
	if v, _ := h.Property("Values"); len(v.([]any)) != 2 {
		t.Errorf("Values = %v", v)
	}
	if _, ok := h.Property("a"); ok {
		t.Error("a key is not a property")
	}
	o := NewHashtable()
	o.Ordered = true
	if _, ok := o.Property("IsFixedSize"); ok {
		t.Error("an ordered dictionary shows no IsFixedSize")
	}
}
