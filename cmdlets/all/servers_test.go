package all_test

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"exsh/cmdlets"
	"exsh/cmdlets/all"
	"exsh/cmdlets/cmdlettest"
	"exsh/engine/backend"
	"exsh/engine/backend/backendtest"
	"exsh/engine/enginetest"
	"exsh/engine/mail"
	"exsh/shell/interp"
	"exsh/state"
)

// orgShell is a shell on one server of an organisation of two, wired as
// cmd/exsh wires it: the local engine in Deps, the other server through
// the management channel.
type orgShell struct {
	*cmdlettest.Shell
	d *cmdlets.Deps
}

func remoteVia(dl *backend.Dialer) func(string) (cmdlets.RemoteServer, error) {
	return func(server string) (cmdlets.RemoteServer, error) {
		c, err := dl.Server(server)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

func newOrgShell(t *testing.T, n *backendtest.Node) *orgShell {
	tr := n.Service.Transport()
	d := &cmdlets.Deps{
		Store: n.Store, DataPath: n.DataPath, ServerName: n.Name, PasswordCost: bcrypt.MinCost,
		Queues: tr, Submitter: tr, Tracking: tr.Tracking(), Mailboxes: backendtest.StoreMailboxes{St: n.Store},
		Remote: remoteVia(n.Dialer),
	}
	return &orgShell{Shell: cmdlettest.NewShell(t, 200, all.Cmdlets(d)), d: d}
}

// A shell on EX01 manages EX02's queues, messages, tracking log and
// mailboxes with -Server, server-qualified identities and pipelines, as
// an Exchange admin would.
func TestManageAnotherServer(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]
	backendtest.Submit(t, ex02, "someone@fabrikam.example", "stuck on EX02")
	backendtest.Submit(t, ex02, "someone@fabrikam.example", "also stuck on EX02")
	backendtest.Submit(t, ex01, "other@fabrikam.example", "stuck on EX01")
	backendtest.Submit(t, ex02, ex02.Mailbox.PrimarySmtpAddress, "for bob2")
	sh := newOrgShell(t, ex01)

	if !enginetest.WaitFor(t, 10*time.Second, func() bool {
		out, errs := sh.Run(`(Get-Queue -Server EX02 -Filter "MessageCount -gt 0" | Measure-Object -Sum MessageCount).Sum`)
		return errs == "" && strings.TrimSpace(out) == "2"
	}) {
		t.Fatal("EX02's two messages did not show in Get-Queue -Server EX02")
	}

	out := sh.OK(`Get-Queue -Server EX02`)
	cmdlettest.Contains(t, "Get-Queue -Server EX02", out, `EX02\Submission`, `EX02\Unreachable`)
	cmdlettest.Lacks(t, "Get-Queue -Server EX02", out, `EX01\`)
	out = sh.OK(`Get-Queue`)
	cmdlettest.Contains(t, "Get-Queue (this server)", out, `EX01\Unreachable`)
	cmdlettest.Lacks(t, "Get-Queue (this server)", out, `EX02\`)
	out = sh.OK(`Get-Queue -Server ex02.contoso.com | Select-Object -ExpandProperty Identity`)
	cmdlettest.Contains(t, "Get-Queue -Server <FQDN>", out, `EX02\Unreachable`)

	// Identities name their server.
	out = sh.OK(`Get-Queue EX02\Unreachable | Format-List Identity,MessageCount`)
	cmdlettest.Contains(t, `Get-Queue EX02\Unreachable`, out, `Identity     : EX02\Unreachable`, "MessageCount : 2")
	out = sh.OK(`Get-Message -Queue EX02\Unreachable | Sort-Object Subject | Format-Table Identity,Subject -HideTableHeaders`)
	if !regexp.MustCompile(`EX02\\Unreachable\\\d+ +also stuck on EX02`).MatchString(out) {
		t.Errorf("Get-Message -Queue EX02\\Unreachable:\n%s", out)
	}
	out = sh.OK(`Get-Queue EX02\Unreachable | Get-Message | Select-Object -ExpandProperty Subject`)
	cmdlettest.Contains(t, "Get-Queue EX02\\Unreachable | Get-Message", out, "stuck on EX02", "also stuck on EX02")
	cmdlettest.Lacks(t, "Get-Queue EX02\\Unreachable | Get-Message", out, "stuck on EX01")
	sh.OK(`Get-Message -Server EX02 -Filter "Subject -eq 'stuck on EX02'" | Suspend-Message -Confirm:$false`)
	out = sh.OK(`Get-Message -Server EX02 -Filter "Status -eq 'Suspended'" | Select-Object -ExpandProperty Subject`)
	if strings.TrimSpace(out) != "stuck on EX02" {
		t.Errorf("the message suspended on EX02 through the channel: %q", out)
	}
	out = sh.OK(`(Get-Message -Server EX02 -Filter "Status -eq 'Suspended'" | Export-Message).FileData.Length -gt 0`)
	if strings.TrimSpace(out) != "True" {
		t.Errorf("Export-Message of EX02's message: %q", out)
	}

	sh.OK(`Suspend-Queue EX02\Unreachable -Confirm:$false`)
	out = sh.OK(`(Get-Queue EX02\Unreachable).Status; (Get-Queue EX01\Unreachable).Status`)
	if strings.Join(strings.Fields(out), ",") != "Suspended,Ready" {
		t.Errorf("after Suspend-Queue EX02\\Unreachable: %q, want EX02's suspended and EX01's ready", out)
	}
	sh.OK(`Resume-Queue -Server EX02 -Filter "Status -eq 'Suspended'"`)
	out = sh.OK(`(Get-Queue EX02\Unreachable).Status`)
	if strings.TrimSpace(out) != "Ready" {
		t.Errorf("after Resume-Queue -Server EX02 -Filter: %q", out)
	}

	// Every server: the transport services piped to Get-Queue, the forest's
	// digest.
	out = sh.OK(`Get-TransportService | Get-Queue | Select-Object -ExpandProperty Identity`)
	cmdlettest.Contains(t, "Get-TransportService | Get-Queue", out, `EX01\Unreachable`, `EX02\Unreachable`, `EX01\Submission`, `EX02\Submission`)
	for _, script := range []string{`Get-TransportService EX02 | Get-Queue`, `Get-ExchangeServer EX02 | Get-Queue`} {
		out = sh.OK(script + ` | Select-Object -ExpandProperty Identity`)
		cmdlettest.Contains(t, script, out, `EX02\Unreachable`)
		cmdlettest.Lacks(t, script, out, `EX01\`)
	}
	out = sh.OK(`Get-TransportService | Select-Object -ExpandProperty Name`)
	if strings.Fields(out) == nil || strings.Join(strings.Fields(out), ",") != "EX01,EX02" {
		t.Errorf("Get-TransportService lists %q, want EX01 and EX02", out)
	}
	out = sh.OK(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy ServerName | Format-Table GroupByValue,MessageCount -HideTableHeaders`)
	if !regexp.MustCompile(`(?m)^EX02 +2\s*$`).MatchString(out) || !regexp.MustCompile(`(?m)^EX01 +1\s*$`).MatchString(out) {
		t.Errorf("Get-QueueDigest -Forest -GroupBy ServerName:\n%s", out)
	}
	// The digest of the forest, as the Exchange Management Shell shows it
	// (EX02's suspended message is deferred).
	out = sh.OK(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy ServerName`)
	const forestDigest = `
GroupByValue MessageCount DeferredMessageCount LockedMessageCount StaleMessageCount Details             
------------ ------------ -------------------- ------------------ ----------------- -------             
EX02                    2                    1                  0                 0 {EX02\Unreachable:2}
EX01                    1                    0                  0                 0 {EX01\Unreachable:1}


`
	if out != forestDigest {
		t.Errorf("Get-QueueDigest -Forest -GroupBy ServerName:\n%q\nwant\n%q", out, forestDigest)
	}
	out = sh.OK(`Get-QueueDigest -Server EX01,EX02 -Filter "MessageCount -gt 0" | Select-Object -ExpandProperty Details | ForEach-Object { "$_" }`)
	cmdlettest.Contains(t, "Get-QueueDigest -Server EX01,EX02 details", out, `EX01\Unreachable:1`, `EX02\Unreachable:2`)

	// The tracking log and the mailboxes of EX02.
	if !enginetest.WaitFor(t, 15*time.Second, func() bool {
		out, errs := sh.Run(`Get-MailboxMessage ` + ex02.Mailbox.Alias + ` | Select-Object -ExpandProperty Subject`)
		return errs == "" && strings.TrimSpace(out) == "for bob2"
	}) {
		out, errs := sh.Run(`Get-MailboxMessage ` + ex02.Mailbox.Alias)
		t.Fatalf("Get-MailboxMessage of a mailbox on EX02:\n%s%s", out, errs)
	}
	out = sh.OK(`Get-MailboxStatistics ` + ex02.Mailbox.Alias + ` | Select-Object -ExpandProperty ItemCount`)
	if strings.TrimSpace(out) != "1" {
		t.Errorf("Get-MailboxStatistics of a mailbox on EX02: ItemCount %q, want 1", out)
	}
	out = sh.OK(`Get-MailboxMessage -Server EX02 | Select-Object -ExpandProperty Subject`)
	if strings.TrimSpace(out) != "for bob2" {
		t.Errorf("Get-MailboxMessage -Server EX02: %q", out)
	}
	out = sh.OK(`Get-MailboxMessage -Server EX01 | Select-Object -ExpandProperty Subject`)
	cmdlettest.Lacks(t, "Get-MailboxMessage -Server EX01", out, "for bob2")
	out = sh.OK(`Get-MessageTrackingLog -Server EX02 -EventId DELIVER | Select-Object -ExpandProperty MessageSubject`)
	cmdlettest.Contains(t, "Get-MessageTrackingLog -Server EX02", out, "for bob2")
	out = sh.OK(`Get-MessageTrackingLog -EventId DELIVER | Measure-Object | Select-Object -ExpandProperty Count`)
	if strings.TrimSpace(out) != "0" {
		t.Errorf("EX01's own tracking log has EX02's DELIVER events: %s", out)
	}

	// The organisation's records cover every server.
	out = sh.OK(`Get-ReceiveConnector -Server EX02 | Select-Object -ExpandProperty Identity`)
	cmdlettest.Contains(t, "Get-ReceiveConnector -Server EX02", out, `EX02\Default EX02`, `EX02\Default Frontend EX02`)
	cmdlettest.Lacks(t, "Get-ReceiveConnector -Server EX02", out, `EX01\`)
	out = sh.OK(`Get-ReceiveConnector | Select-Object -ExpandProperty Identity`)
	cmdlettest.Contains(t, "Get-ReceiveConnector", out, `EX01\Default EX01`, `EX02\Default EX02`)
	out = sh.OK(`Get-ReceiveConnector "Default Frontend EX01" | Select-Object -ExpandProperty Identity`)
	cmdlettest.Contains(t, "a connector name alone (this server)", out, `EX01\Default Frontend EX01`)
	out = sh.OK(`Get-MailboxDatabase -Server EX02 | Select-Object -ExpandProperty Name`)
	if strings.TrimSpace(out) != ex02.Database {
		t.Errorf("Get-MailboxDatabase -Server EX02: %q, want %s", out, ex02.Database)
	}
	out = sh.OK(`Get-MailboxDatabase "EX02\` + ex02.Database + `" | Select-Object -ExpandProperty Server`)
	if strings.TrimSpace(out) != "EX02" {
		t.Errorf("Get-MailboxDatabase EX02\\<name>: %q", out)
	}
	out = sh.OK(`Get-MailboxDatabase | Select-Object -ExpandProperty Server`)
	cmdlettest.Contains(t, "Get-MailboxDatabase", out, "EX01", "EX02")

	// Servers the organisation does not have.
	_, errs := sh.Run(`Get-Queue -Server EX99`)
	cmdlettest.Contains(t, "Get-Queue -Server EX99", errs, `The operation couldn't be performed because object 'EX99' couldn't be found on 'EX01.contoso.com'.`)
	_, errs = sh.Run(`Get-Queue EX99\Submission`)
	cmdlettest.Contains(t, `Get-Queue EX99\Submission`, errs, `object 'EX99' couldn't be found`)
	_, errs = sh.Run(`Get-MailboxDatabase "EX99\` + ex02.Database + `"`)
	cmdlettest.Contains(t, `Get-MailboxDatabase EX99\<name>`, errs, `object 'EX99\`+ex02.Database+`' couldn't be found`)
	_, errs = sh.Run(`Get-MessageTrackingLog -Server EX99`)
	cmdlettest.Contains(t, "Get-MessageTrackingLog -Server EX99", errs, `object 'EX99' couldn't be found`)
	_, errs = sh.Run(`Get-Mailbox -Server EX99`)
	cmdlettest.Contains(t, "Get-Mailbox -Server EX99", errs, `object 'EX99' couldn't be found`)
}

// A server that is down gives Exchange's connection error fast, and the
// forest's digest still summarises the servers that answer.
func TestManageServerDown(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01, ex02 := nodes[0], nodes[1]
	backendtest.Submit(t, ex01, "other@fabrikam.example", "stuck on EX01")
	sh := newOrgShell(t, ex01)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ex02.Channel.Close(ctx); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, errs := sh.Run(`Get-Queue -Server EX02`)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Get-Queue -Server on a server that is down took %v", took)
	}
	cmdlettest.Contains(t, "Get-Queue -Server EX02 (down)", errs,
		`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". Verify that a valid computer name was used and the Microsoft Exchange Transport service is started.`,
		"The server EX02 cannot be reached", "InvalidOperation")
	_, errs = sh.Run(`Get-Message EX02\Unreachable\1`)
	cmdlettest.Contains(t, "Get-Message EX02\\... (down)", errs, `Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com"`)
	_, errs = sh.Run(`Get-MessageTrackingLog -Server EX02`)
	cmdlettest.Contains(t, "Get-MessageTrackingLog -Server EX02 (down)", errs, `Failed to connect to the Microsoft Exchange Transport Log Search service on computer "EX02.contoso.com"`)
	_, errs = sh.Run(`Get-MailboxMessage -Server EX02`)
	cmdlettest.Contains(t, "Get-MailboxMessage -Server EX02 (down)", errs, `Failed to connect to the Microsoft Exchange Information Store service on computer "EX02.contoso.com"`)

	out, errs := sh.Run(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy ServerName | Format-Table GroupByValue,MessageCount -HideTableHeaders`)
	if !regexp.MustCompile(`(?m)^EX01 +1\s*$`).MatchString(out) {
		t.Errorf("Get-QueueDigest -Forest with EX02 down lost EX01:\n%s", out)
	}
	cmdlettest.Contains(t, "Get-QueueDigest -Forest (EX02 down)", errs, `computer "EX02.contoso.com"`)
	// The organisation's records are read on every server all the same.
	out = sh.OK(`Get-ReceiveConnector -Server EX02 | Measure-Object | Select-Object -ExpandProperty Count`)
	if strings.TrimSpace(out) != "5" {
		t.Errorf("EX02's receive connectors with EX02 down: %s", out)
	}

	// A server that accepts connections but never answers is left out of
	// the digest once -Timeout is over.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	if err := ex01.Store.Update(func(tx state.Tx) error {
		srv, err := tx.Server("EX02")
		if err != nil {
			return err
		}
		srv.IPAddress, srv.PortOffset = "127.0.0.1", silent.Addr().(*net.TCPAddr).Port-backend.Port
		return tx.PutServer(srv)
	}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	out, errs = sh.Run(`Get-QueueDigest -Forest -Filter "MessageCount -gt 0" -GroupBy ServerName -Timeout 00:00:01 | Format-Table GroupByValue,MessageCount -HideTableHeaders`)
	if took := time.Since(start); took > 2500*time.Millisecond {
		t.Errorf("Get-QueueDigest -Timeout 00:00:01 took %v", took)
	}
	if !regexp.MustCompile(`(?m)^EX01 +1\s*$`).MatchString(out) {
		t.Errorf("Get-QueueDigest -Timeout lost EX01:\n%s", out)
	}
	cmdlettest.Contains(t, "Get-QueueDigest -Timeout (EX02 silent)", errs, "The server EX02 didn't return its queues within the time-out of 00:00:01.", "OperationTimeout")
}

// A server that refuses this server's logon gives an access error, not
// data.
func TestManageWrongCredential(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	ex01 := nodes[0]
	sh := newOrgShell(t, ex01)
	wrong := &backend.Dialer{Store: ex01.Store, Credential: mail.ServerCredential{Account: ex01.Service.Credential().Account, Secret: "guessed"}}
	defer wrong.Close()
	sh.d.Remote = remoteVia(wrong)
	out, errs := sh.Run(`Get-Queue -Server EX02`)
	if out != "" {
		t.Errorf("output with a refused logon:\n%s", out)
	}
	cmdlettest.Contains(t, "Get-Queue -Server EX02 (refused)", errs,
		`Failed to connect to the Microsoft Exchange Transport service on computer "EX02.contoso.com". Access is denied.`, "PermissionDenied")
}

// Tab completion offers the organisation's servers for -Server, and
// Get-Help describes it.
func TestServerCompletion(t *testing.T) {
	nodes := backendtest.StartOnEtcd(t, 2)
	sh := newOrgShell(t, nodes[0])
	for _, name := range []string{"Get-Queue", "Get-MessageTrackingLog", "Get-MailboxMessage"} {
		out := sh.OK(`Get-Help ` + name + ` -Parameter Server`)
		cmdlettest.Contains(t, "Get-Help "+name+" -Parameter Server", out, "-Server", "management channel")
	}
	for _, c := range sh.Session.Commands() {
		for _, name := range []string{"Get-Queue", "Get-Message", "Get-QueueDigest", "Retry-Queue", "Get-MessageTrackingLog", "Get-MailboxMessage", "Get-MailboxDatabase", "Get-Mailbox"} {
			if c.Name != name {
				continue
			}
			var p *interp.ParamInfo
			for _, q := range c.Params {
				if q.Name == "Server" {
					p = q
				}
			}
			if p == nil || p.Complete == nil {
				t.Errorf("%s has no -Server completion", name)
				continue
			}
			if name == "Get-Queue" {
				var id *interp.ParamInfo
				for _, q := range c.Params {
					if q.Name == "Identity" {
						id = q
					}
				}
				got := id.Complete(context.Background(), `EX02\Sub`)
				if strings.Join(got, ",") != `EX02\Submission` {
					t.Errorf("Get-Queue EX02\\Sub<Tab>: %v", got)
				}
			}
			got := p.Complete(context.Background(), "ex0")
			if strings.Join(got, ",") != "EX01,EX02" {
				t.Errorf("%s -Server ex0<Tab>: %v, want EX01, EX02", name, got)
			}
		}
	}
}
