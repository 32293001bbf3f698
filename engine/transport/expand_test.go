package transport

import (
	"strings"
	"testing"

	"exsh/engine/transport/tracking"
	"exsh/state"
)

// setTransportConfig changes the organisation's transport settings.
func (e *env) setTransportConfig(mod func(c *state.TransportConfig)) {
	e.t.Helper()
	err := e.st.Update(func(tx state.Tx) error {
		c, err := tx.TransportConfig()
		if err != nil {
			return err
		}
		mod(c)
		return tx.PutTransportConfig(c)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// addGroup stores a distribution group with the given members.
func (e *env) addGroup(name string, requireAuth bool, members ...*state.Recipient) *state.Recipient {
	e.t.Helper()
	g := &state.Recipient{
		Name: name, Alias: name, DisplayName: name, RecipientType: "MailUniversalDistributionGroup",
		RecipientTypeDetails: "MailUniversalDistributionGroup", PrimarySmtpAddress: name + "@contoso.com",
		EmailAddresses: []string{"SMTP:" + name + "@contoso.com"}, RequireSenderAuthenticationEnabled: requireAuth,
	}
	for _, m := range members {
		g.Members = append(g.Members, m.Guid)
	}
	if err := e.st.Update(func(tx state.Tx) error { return tx.PutRecipient(g) }); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// addMember adds member to group.
func (e *env) addMember(group, member *state.Recipient) {
	e.t.Helper()
	err := e.st.Update(func(tx state.Tx) error {
		g, err := tx.Recipient(group.Guid)
		if err != nil {
			return err
		}
		g.Members = append(g.Members, member.Guid)
		return tx.PutRecipient(g)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) addContact(name, external string) *state.Recipient {
	e.t.Helper()
	c := &state.Recipient{
		Name: name, Alias: name, DisplayName: name, RecipientType: "MailContact", RecipientTypeDetails: "MailContact",
		PrimarySmtpAddress: name + "@contoso.com", EmailAddresses: []string{"SMTP:" + name + "@contoso.com"},
		ExternalEmailAddress: "SMTP:" + external,
	}
	if err := e.st.Update(func(tx state.Tx) error { return tx.PutRecipient(c) }); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func internalSubmission(e *env, from string, to []string, subject string) {
	e.t.Helper()
	sub := testSubmission(from, to, subject)
	sub.AuthUser = `CONTOSO\` + strings.Split(from, "@")[0]
	sub.Direction = "Originating"
	if _, err := e.tr.Submit(sub); err != nil {
		e.t.Fatal(err)
	}
}

// ndrStatus waits for an NDR in the mailbox at addr and returns it.
func (e *env) ndrText(addr string) string {
	e.t.Helper()
	e.waitFor("NDR", func() bool { return len(e.mailbox(addr)) > 0 })
	item := e.mailbox(addr)[0]
	data, err := e.tr.MailboxItemData(item)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(data)
}

func TestGroupExpansion(t *testing.T) {
	e := newEnv(t)
	chris := e.addMailbox("chris")
	michelle := e.addMailbox("michelle")
	ann := e.addMailbox("ann")
	sales := e.addGroup("sales", true, chris, michelle)
	all := e.addGroup("all", true, sales, ann, chris)
	e.addMember(sales, all) // a loop: all -> sales -> all

	internalSubmission(e, "ann@contoso.com", []string{"all@contoso.com"}, "to all")
	for _, who := range []string{"chris", "michelle", "ann"} {
		e.waitFor(who+"'s copy", func() bool { return len(e.mailbox(who+"@contoso.com")) == 1 })
	}
	e.waitFor("empty queues", func() bool { return e.totalQueued() == 0 })
	for _, who := range []string{"chris", "michelle", "ann"} {
		if n := len(e.mailbox(who + "@contoso.com")); n != 1 {
			t.Errorf("%s has %d items, want 1 (one copy despite the loop and the double membership)", who, n)
		}
	}
	evs, err := e.tr.Tracking().Search(trackingQuery(tracking.EventExpand))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ev := range evs {
		if ev.Source != tracking.SourceRouting || len(ev.RecipientStatus) != 1 || ev.RecipientStatus[0] != "250 2.1.5 RESOLVER.GRP.Expanded; distribution list expanded" {
			t.Errorf("EXPAND source %q, status %q", ev.Source, ev.RecipientStatus)
		}
		got[ev.RelatedRecipientAddress] = strings.Join(ev.Recipients, ";")
	}
	want := map[string]string{
		// Depth first: chris is reached through sales before all's own
		// entry for him, which is then skipped.
		"all@contoso.com":   "sales@contoso.com;ann@contoso.com",
		"sales@contoso.com": "chris@contoso.com;michelle@contoso.com",
	}
	for g, rcpts := range want {
		if got[g] != rcpts {
			t.Errorf("EXPAND of %s: recipients %q, want %q", g, got[g], rcpts)
		}
	}
}

func TestGroupRequiresAuthenticatedSender(t *testing.T) {
	e := newEnv(t)
	chris := e.addMailbox("chris")
	e.addMailbox("ann")
	e.addGroup("sales", true, chris)
	e.addGroup("open", false, chris)

	// Anonymous (Incoming) mail from inside the org's address space still
	// counts as anonymous: the group refuses it with an NDR.
	e.submit("ann@contoso.com", []string{"sales@contoso.com"}, "anonymous")
	ndr := e.ndrText("ann@contoso.com")
	for _, want := range []string{"550 5.7.1 RESOLVER.RST.AuthRequired; authentication required", "Final-Recipient: rfc822;sales@contoso.com"} {
		if !strings.Contains(ndr, want) {
			t.Errorf("NDR lacks %q:\n%s", want, ndr)
		}
	}
	if n := len(e.mailbox("chris@contoso.com")); n != 0 {
		t.Errorf("chris got %d items from a restricted group", n)
	}
	e.submit("ann@contoso.com", []string{"open@contoso.com"}, "anonymous to open")
	e.waitFor("delivery through the open group", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
}

func TestContactRoutesToExternalAddress(t *testing.T) {
	e := newEnv(t)
	s := newSink(t, "")
	e.addSendConnector("To Internet", []string{"SMTP:*;1"}, []string{"[127.0.0.1]"}, s.port, nil)
	e.addMailbox("ann")
	e.addContact("chrisx", "chris@fabrikam.com")
	internalSubmission(e, "ann@contoso.com", []string{"chrisx@contoso.com"}, "to a contact")
	e.waitFor("relay to the contact's address", func() bool { return len(s.got()) == 1 })
	if got := s.got()[0].To; len(got) != 1 || got[0] != "chris@fabrikam.com" {
		t.Errorf("relayed to %v, want chris@fabrikam.com", got)
	}
}

// setMailbox changes a mailbox's record.
func (e *env) setMailbox(addr string, mod func(r *state.Recipient)) {
	e.t.Helper()
	err := e.st.Update(func(tx state.Tx) error {
		r, err := tx.RecipientByAddress(addr)
		if err != nil {
			return err
		}
		mod(r)
		return tx.PutRecipient(r)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestOrganizationLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  func(c *state.TransportConfig)
		who     string // the mailbox mailbox changes
		mailbox func(r *state.Recipient)
		inside  bool
		rcpts   int
		want    string // "" when the message is delivered
	}{
		{"mailbox receive size below the organisation's", nil, "chris", func(r *state.Recipient) { r.MaxReceiveSize = "100 B (100 bytes)" }, false, 1,
			"550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient"},
		{"mailbox receive size above the organisation's wins", func(c *state.TransportConfig) { c.MaxReceiveSize = 100 },
			"chris", func(r *state.Recipient) { r.MaxReceiveSize = "1 MB (1,048,576 bytes)" }, false, 1, ""},
		{"mailbox send size", nil, "ann", func(r *state.Recipient) { r.MaxSendSize = "100 B (100 bytes)" }, true, 1,
			"550 5.2.3 RESOLVER.RST.SendSizeLimit.Sender; message too large for this sender"},
		{"mailbox send size above the organisation's wins", func(c *state.TransportConfig) { c.MaxSendSize = 100 },
			"ann", func(r *state.Recipient) { r.MaxSendSize = "1 MB (1,048,576 bytes)" }, true, 1, ""},
		{"receive size", func(c *state.TransportConfig) { c.MaxReceiveSize = 100 }, "", nil, false, 1, "550 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient"},
		{"send size", func(c *state.TransportConfig) { c.MaxSendSize = 100 }, "", nil, true, 1, "550 5.2.3 RESOLVER.RST.SendSizeLimit.Org; message too large for this organization"},
		{"envelope recipients", func(c *state.TransportConfig) { c.MaxRecipientEnvelopeLimit = 2 }, "", nil, true, 3, "550 5.5.3 RESOLVER.ADR.RecipLimit; too many recipients"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addMailbox("ann")
			e.addMailbox("chris")
			if tc.config != nil {
				e.setTransportConfig(tc.config)
			}
			if tc.mailbox != nil {
				e.setMailbox(tc.who+"@contoso.com", tc.mailbox)
			}
			to := []string{"chris@contoso.com"}
			for i := 1; i < tc.rcpts; i++ {
				to = append(to, "chris"+itoa(i)+"@contoso.com")
			}
			if tc.inside {
				internalSubmission(e, "ann@contoso.com", to, "limited")
			} else {
				e.submit("ann@contoso.com", to, "limited")
			}
			if tc.want == "" {
				e.waitFor("delivery", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
				if n := len(e.mailbox("ann@contoso.com")); n != 0 {
					t.Errorf("ann got %d items (an NDR?)", n)
				}
				return
			}
			ndr := e.ndrText("ann@contoso.com")
			if !strings.Contains(ndr, tc.want) {
				t.Errorf("NDR lacks %q:\n%s", tc.want, ndr)
			}
			if n := len(e.mailbox("chris@contoso.com")); n != 0 {
				t.Errorf("chris got %d items past the limit", n)
			}
		})
	}
}

func TestDefaultLimitsPassOrdinaryMail(t *testing.T) {
	e := newEnv(t)
	e.addMailbox("ann")
	e.addMailbox("chris")
	internalSubmission(e, "ann@contoso.com", []string{"chris@contoso.com"}, "small")
	e.waitFor("delivery", func() bool { return len(e.mailbox("chris@contoso.com")) == 1 })
	if n := len(e.mailbox("ann@contoso.com")); n != 0 {
		t.Errorf("ann got %d items (an NDR?)", n)
	}
}
