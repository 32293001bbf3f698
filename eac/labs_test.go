package eac

import (
	"reflect"
	"testing"
)

// A story written for a terminal reflows into paragraphs; indented lines
// (a device's display, a command) stay as they are.
func TestStoryParagraphs(t *testing.T) {
	for _, c := range []struct {
		story string
		want  []storyPara
	}{
		{"", nil},
		{"One line.", []storyPara{{Text: "One line."}}},
		{"Monday, 08:40. Purchasing\nrings.\n\nIts display says:\n\n    550 5.7.54 SMTP;\n    second line\n\nMake it work.\r\n",
			[]storyPara{{Text: "Monday, 08:40. Purchasing rings."}, {Text: "Its display says:"}, {Text: "550 5.7.54 SMTP;\nsecond line", Code: true}, {Text: "Make it work."}}},
		{"Says:\n  Get-Queue\nthen more.", []storyPara{{Text: "Says:"}, {Text: "Get-Queue", Code: true}, {Text: "then more."}}},
	} {
		if got := paragraphs(c.story); !reflect.DeepEqual(got, c.want) {
			t.Errorf("paragraphs(%q) = %#v, want %#v", c.story, got, c.want)
		}
	}
}
