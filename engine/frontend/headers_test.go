package frontend

import (
	"bytes"
	"strings"
	"testing"
)

func TestFields(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"", nil},
		{"\r\n", nil},
		{"A: 1\r\nB: 2\r\n\r\n", []string{"A: 1\r\n", "B: 2\r\n"}},
		{"A: 1\r\n folded\r\n\tagain\r\nB: 2\r\n\r\n", []string{"A: 1\r\n folded\r\n\tagain\r\n", "B: 2\r\n"}},
		{"A: 1\nB: 2", []string{"A: 1\n", "B: 2"}},
		// An empty line between a field and its continuation (bare LF
		// messages only) is dropped, the continuation kept.
		{"A: 1\n\n more\nB: 2\n", []string{"A: 1\n more\n", "B: 2\n"}},
		{"A: 1\n\n more\n again\nB: 2\n", []string{"A: 1\n more\n again\n", "B: 2\n"}},
		{" lead\r\nA: 1\r\n", []string{" lead\r\n", "A: 1\r\n"}},
	}
	for _, tt := range tests {
		header := []byte(tt.header)
		fs := fields(header)
		var got []string
		for _, f := range fs {
			got = append(got, string(f))
			// A caller appending to a field must not write into the header.
			_ = append(f, 'X')
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("fields(%q) = %q, want %q", tt.header, got, tt.want)
		}
		if !bytes.Equal(header, []byte(tt.header)) {
			t.Errorf("fields(%q) changed the header to %q", tt.header, header)
		}
	}
}

func TestRemoveFieldsAndFieldValue(t *testing.T) {
	msg := []byte("Received: from a\r\n by b\r\nX-Keep: 1\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n\r\nbody\r\n")
	got := RemoveFields(msg, func(name string) bool { return strings.EqualFold(name, "received") })
	if want := "X-Keep: 1\r\nX-MS-Exchange-Organization-AuthAs: Internal\r\n\r\nbody\r\n"; string(got) != want {
		t.Errorf("RemoveFields = %q, want %q", got, want)
	}
	if v := FieldValue(msg, "received"); v != "from a by b" {
		t.Errorf("FieldValue(received) = %q", v)
	}
	if v := FieldValue(msg, HeaderAuthAs); v != "Internal" {
		t.Errorf("FieldValue(AuthAs) = %q", v)
	}
	if v := FieldValue(msg, "X-Missing"); v != "" {
		t.Errorf("FieldValue(X-Missing) = %q", v)
	}
}
