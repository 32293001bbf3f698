package cmdlets

import (
	"errors"
	"strings"
	"testing"
	"time"

	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

type inner struct {
	Promoted string
}

type sample struct {
	inner
	Name    string
	Auth    state.Flags
	Groups  state.Flags
	List    []string
	Size    state.ByteSize
	Count   int32
	Secret  string `exsh:"-"`
	private int
}

func TestToObject(t *testing.T) {
	rec := &sample{inner: inner{"p"}, Name: "n", Auth: state.Flags{"Tls", "BasicAuth"}, List: []string{"a", "b"}, Size: 36 << 20, Count: 3, Secret: "x", private: 1}
	o := ToObject([]string{"T"}, rec)
	var names []string
	for _, p := range o.Properties() {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, ","); got != "Promoted,Name,Auth,Groups,List,Size,Count" {
		t.Fatalf("properties %s", got)
	}
	if v, _ := o.Get("Auth"); v != "Tls, BasicAuth" {
		t.Errorf("Auth %#v", v)
	}
	if v, _ := o.Get("Groups"); v != "None" {
		t.Errorf("Groups %#v", v)
	}
	if v, _ := o.Get("List"); object.ToString(v) != "a b" {
		t.Errorf("List %#v", v)
	}
	if v, _ := o.Get("Size"); object.ToString(v) != "36 MB (37,748,736 bytes)" {
		t.Errorf("Size %#v", v)
	}
	if v, _ := o.Get("Count"); v != 3 {
		t.Errorf("Count %#v", v)
	}
	if b, ok := o.Base.(*sample); !ok || b == rec || b.Name != "n" || b.Secret != "x" || o.TypeNames[0] != "T" {
		t.Error("Base or TypeNames")
	}
	// Secrets never reach the shell, not even through Base.
	sc := &state.SendConnector{Name: "s", AuthUser: "u", AuthPassword: "p"}
	if b := ToObject(nil, sc).Base.(*state.SendConnector); b.AuthPassword != "" || b.AuthUser != "u" || sc.AuthPassword != "p" {
		t.Errorf("send connector Base %+v", b)
	}
	if ToObject(nil, (*sample)(nil)) != nil {
		t.Error("nil record")
	}
	if GuidOf(o) != "" {
		t.Error("GuidOf without a Guid field")
	}
	rc := &state.ReceiveConnector{Guid: "0b5b8a4e-8c7e-4b5e-9a51-0d1c0e7e7a11", Identity: `EX01\Relay`}
	ro := ToObject(nil, rc)
	if GuidOf(ro) != rc.Guid || IdentityText(ro) != `EX01\Relay` {
		t.Error("GuidOf/IdentityText")
	}
	if got, ok := BaseOf[*state.ReceiveConnector](ro); !ok || got.Guid != rc.Guid {
		t.Error("BaseOf")
	}
}

func TestParseServerScoped(t *testing.T) {
	for in, want := range map[string]ServerScoped{
		"Relay":                                  {Name: "Relay"},
		`EX01\Default Frontend EX01`:             {Server: "EX01", Name: "Default Frontend EX01"},
		"{0B5B8A4E-8C7E-4B5E-9A51-0D1C0E7E7A11}": {Guid: "0b5b8a4e-8c7e-4b5e-9a51-0d1c0e7e7a11"},
		"CN=Relay,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),DC=contoso,DC=com": {Server: "EX01", Name: "Relay"},
		`CN=A\,B,CN=SMTP Receive Connectors,CN=Protocols,CN=EX02,CN=Servers,DC=x`:                                                                  {Server: "EX02", Name: "A,B"},
	} {
		if got := ParseServerScoped(in); got != want {
			t.Errorf("%q: got %+v, want %+v", in, got, want)
		}
	}
}

func TestLike(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*Frontend*", "Default Frontend EX01", true},
		{"default*", "Default EX01", true},
		{"Default?EX01", "Default EX01", true},
		{"[cd]efault*", "Default EX01", true},
		{"[a-c]efault*", "Default EX01", false},
		{"*", "", true},
		{"a`*", "a*", true},
		{"a`*", "ab", false},
		{"Relay", "relay2", false},
	} {
		if got := Like(tc.p, tc.s); got != tc.want {
			t.Errorf("Like(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestApplyMulti(t *testing.T) {
	upper := func(s string) (string, error) {
		if s == "bad" {
			return "", errors.New("bad value")
		}
		return strings.ToUpper(s), nil
	}
	cur := []string{"A", "B"}
	for _, tc := range []struct {
		arg  any
		want string
		err  string
	}{
		{[]any{"x", "y"}, "X,Y", ""},
		{"x", "X", ""},
		{nil, "", ""},
		{&interp.MultiValue{Add: []any{"c"}}, "A,B,C", ""},
		{&interp.MultiValue{Remove: []any{"a", "zz"}}, "B", ""},
		{&interp.MultiValue{Add: []any{"d"}, Remove: []any{"b"}}, "A,D", ""},
		{&interp.MultiValue{Add: []any{"a"}}, "", `The value "A" is already present in the collection.`},
		{[]any{"x", "X"}, "", `The value "X" is already present in the collection.`},
		{[]any{"bad"}, "", "bad value"},
		{hashtable("Add", []any{"e"}, "Remove", "A"), "B,E", ""},
	} {
		got, err := ApplyMulti(cur, tc.arg, upper, nil)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%v: error %v, want %s", tc.arg, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%v: got %v %v, want %s", tc.arg, got, err, tc.want)
		}
	}
	if strings.Join(cur, ",") != "A,B" {
		t.Error("ApplyMulti changed its input")
	}
	if !IsMulti(hashtable("Add", "x")) || IsMulti(hashtable("Name", "x")) || IsMulti([]any{"x"}) {
		t.Error("IsMulti")
	}
}

func hashtable(kv ...any) *object.Hashtable {
	h := object.NewHashtable()
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestTaskErrors(t *testing.T) {
	if got := TaskClass("Get-ReceiveConnector"); got != "Microsoft.Exchange.Management.SystemConfigurationTasks.GetReceiveConnector" {
		t.Error(got)
	}
	if got := TaskClass("Add-ADPermission"); got != "Microsoft.Exchange.Management.RecipientTasks.AddADPermission" {
		t.Error(got)
	}
	d := &Deps{Now: func() time.Time { return time.Date(2026, 11, 5, 14, 3, 9, 0, time.UTC) }}
	task := NewTask(d, "Get-Mailbox", Site{Server: "EX01", ServerFqdn: "EX01.contoso.com"})
	e := task.NotFound("nope")
	if e.Message != "The operation couldn't be performed because object 'nope' couldn't be found on 'EX01.contoso.com'." ||
		e.Category != "NotSpecified" || e.Reason != "ManagementObjectNotFoundException" {
		t.Errorf("%+v", e)
	}
	id := e.FullyQualifiedErrorId
	if !strings.HasPrefix(id, "[Server=EX01,RequestId="+task.RequestID+",TimeStamp=11/5/2026 2:03:09 PM] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] ") ||
		!strings.HasSuffix(id, ",Microsoft.Exchange.Management.RecipientTasks.GetMailbox") || !state.IsGuid(task.RequestID) {
		t.Errorf("FullyQualifiedErrorId %s", id)
	}
	// The error comes from the remote session to the server.
	if e.ComputerName != "ex01.contoso.com" {
		t.Errorf("ComputerName %q", e.ComputerName)
	}
	if e := task.TooLong("Name", 64, 70); e.ComputerName != "ex01.contoso.com" || e.Message != "Cannot validate argument on parameter 'Name'. The length of the property is too long. The maximum length is 64 and the length of the value provided is 70." {
		t.Error(e.Message)
	}
	if got := NoChangeWarning(`EX01\Relay`); got != `The command completed successfully but no settings of 'EX01\Relay' have been modified.` {
		t.Error(got)
	}
}
