package eac

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"exsh/state/setup"
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

// Without the lab cmdlets in the table there is no labs page, and the
// feature pane does not offer one.
func TestNoLabsWithoutLabCmdlets(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	if _, token := l.signIn(t, c, `CONTOSO\Administrator`, setup.DefaultAdministratorPassword); token == "" {
		t.Fatal("cannot sign in")
	}
	if page := l.get(t, c, "/ecp/queues/queues"); strings.Contains(page, `href="/ecp/labs"`) {
		t.Error("the feature pane offers labs without the lab cmdlets")
	}
	res, err := c.Get(l.url + "/ecp/labs")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /ecp/labs without the lab cmdlets: %s", res.Status)
	}
}
