package mail

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"exsh/cmdlets"
	"exsh/engine/mail"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
	"exsh/state/setup"
)

// Type names of Get-MailboxStatistics and Test-Mailflow.
const (
	MailboxStatisticsType = "Microsoft.Exchange.Management.MapiTasks.Presentation.MailboxStatistics"
	TestMailflowType      = "Microsoft.Exchange.Monitoring.TestMailflowResult"
)

func init() {
	format.Register(MailboxStatisticsType, format.View{Table: []format.Column{
		{Property: "DisplayName"}, {Property: "ItemCount"}, {Property: "StorageLimitStatus"}, {Property: "LastLogonTime"},
	}})
	format.Register(TestMailflowType, format.View{Table: []format.Column{
		{Property: "TestMailflowResult"}, {Property: "MessageLatencyTime"}, {Property: "IsRemoteTest"},
	}})
}

// mailboxStatistics is a mailbox's statistics as Get-MailboxStatistics
// shows them, counted from the mailbox store.
type mailboxStatistics struct {
	AssociatedItemCount     int64
	DeletedItemCount        int64
	DisplayName             string
	ItemCount               int64
	LastLoggedOnUserAccount string
	LastLogoffTime          any
	LastLogonTime           any
	MailboxGuid             string
	MailboxType             string
	MailboxTypeDetail       string
	ServerName              string
	Database                string
	DatabaseName            string
	IsArchiveMailbox        bool
	IsQuarantined           bool
	StorageLimitStatus      any
	TotalDeletedItemSize    state.ByteSize
	TotalItemSize           state.ByteSize
	LastDeliveryTime        any
	Identity                string
	IsValid                 bool
	ObjectState             string
}

// MailboxCmdlets returns the cmdlets that read or test the mailboxes:
// Get-MailboxStatistics and Test-Mailflow.
func MailboxCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	return []*interp.CmdletInfo{getMailboxStatistics(d), testMailflow(d)}
}

func getMailboxStatistics(d *cmdlets.Deps) *interp.CmdletInfo {
	return cmdlets.Exchange(&interp.CmdletInfo{
		Name:     "Get-MailboxStatistics",
		Module:   cmdlets.Module,
		Synopsis: "Gets the size and item count of mailboxes.",
		Description: "Get-MailboxStatistics counts the items in a mailbox and their total size, from the mailbox store Mailbox Transport Delivery writes. " +
			"LastLogonTime stays empty: the lab has no Outlook or OWA logons.",
		OutputType: MailboxStatisticsType,
		Params: []*interp.ParamInfo{
			{Name: "Identity", Kind: interp.KindObject, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true,
				Help: "Specifies the mailbox: name, alias, email address, user principal name or GUID, or a mailbox piped from Get-Mailbox."},
			{Name: "Database", Kind: interp.KindString, Position: -1, Help: "Returns the statistics of every mailbox in the database."},
			{Name: "Server", Kind: interp.KindString, Position: -1, Complete: cmdlets.CompleteServers(d),
				Help: "Returns the statistics of every mailbox on the server (its name, FQDN or GUID)."},
			{Name: "DomainController", Kind: interp.KindString, Position: -1, Help: "Accepted for compatibility."},
		},
		Examples: []interp.Example{
			{Code: "Get-MailboxStatistics Administrator", Remarks: "Shows the Administrator mailbox's item count."},
			{Code: "Get-Mailbox | Get-MailboxStatistics | Sort-Object TotalItemSize -Descending | Format-Table DisplayName,ItemCount,TotalItemSize",
				Remarks: "Lists the mailboxes, largest first."},
		},
		Process: func(c *interp.Call) error { return mailboxStatisticsProcess(d, c) },
	})
}

func mailboxStatisticsProcess(d *cmdlets.Deps, c *interp.Call) error {
	var (
		boxes []*state.Recipient
		task  *cmdlets.Task
		dbs   = map[string]*state.MailboxDatabase{}
	)
	err := d.Store.View(func(tx state.Tx) error {
		site := d.LoadSite(tx)
		task = cmdlets.NewTask(d, c.Info.Name, site)
		if all, err := tx.MailboxDatabases(); err == nil {
			for _, db := range all {
				dbs[strings.ToLower(db.Name)] = db
			}
		}
		if c.Has("Identity") && c.Value("Identity") != nil {
			ident := identityOf(c.Value("Identity"))
			r := findMailbox(tx, ident)
			if r == nil {
				return task.NotFound(ident)
			}
			boxes = []*state.Recipient{r}
			return nil
		}
		if !c.Has("Database") && !c.Has("Server") {
			return task.InvalidArgument("Specify the Identity, Database or Server parameter.")
		}
		server := ""
		if c.Has("Server") {
			var err error
			if server, err = serverArg(tx, site, task, c.String("Server")); err != nil {
				return err
			}
		}
		all, err := tx.Recipients()
		if err != nil {
			return err
		}
		for _, r := range all {
			if !r.HasMailbox() || c.Has("Database") && !strings.EqualFold(r.Database, c.String("Database")) ||
				server != "" && !strings.EqualFold(r.ServerName, server) {
				continue
			}
			boxes = append(boxes, r)
		}
		return nil
	})
	if err != nil {
		var er *interp.ErrorRecord
		if errors.As(err, &er) {
			c.WriteError(er)
			return nil
		}
		return orNewTask(d, c, task).StoreError(err)
	}
	// Each mailbox is read where its database is: this server's store in
	// process, another server's over its management channel.
	local := ""
	_ = d.Store.View(func(tx state.Tx) error { local = d.LocalServer(tx); return nil })
	stores := newMailboxStores(d, c, task)
	for _, b := range boxes {
		server := ""
		if db := dbs[strings.ToLower(b.Database)]; db != nil && !strings.EqualFold(db.Server, local) {
			server = db.Server
		}
		reader, err := stores.of(server)
		if err != nil {
			return err
		}
		if reader == nil {
			continue
		}
		items, err := reader.MailboxItems(b.Guid)
		if err != nil {
			e, goOn := stores.readErr(server, err)
			if !goOn {
				return e
			}
			c.WriteError(e)
			continue
		}
		st := &mailboxStatistics{
			DisplayName: b.DisplayName, ItemCount: int64(len(items)), MailboxGuid: b.Guid, MailboxType: "Private",
			MailboxTypeDetail: b.RecipientTypeDetails, ServerName: strings.ToUpper(b.ServerName), Database: b.Database, DatabaseName: b.Database,
			Identity: b.Guid, IsValid: true, ObjectState: "Unchanged",
		}
		if db := dbs[strings.ToLower(b.Database)]; db != nil {
			st.ServerName = db.Server
		}
		var last time.Time
		for _, it := range items {
			st.TotalItemSize += state.ByteSize(it.Size)
			if it.ReceivedTime.After(last) {
				last = it.ReceivedTime
			}
		}
		if !last.IsZero() {
			st.LastDeliveryTime = last.Local()
		}
		if err := c.WriteObject(cmdlets.ToObject([]string{MailboxStatisticsType, "Microsoft.Exchange.Data.Mapi.MapiObject", "System.Object"}, st)); err != nil {
			return err
		}
	}
	return nil
}

// identityOf is the text of an identity argument, or the Guid of a piped
// recipient.
func identityOf(v any) string {
	if o, ok := v.(*object.PSObject); ok {
		if r, ok := o.Base.(*state.Recipient); ok {
			return r.Guid
		}
		if idv, ok := o.Get("Identity"); ok {
			v = idv
		}
	}
	return strings.TrimSpace(object.ToString(v))
}

// testMailflowResult is what Test-Mailflow returns.
type testMailflowResult struct {
	TestMailflowResult string
	MessageLatencyTime time.Duration
	IsRemoteTest       bool
	Identity           any
	IsValid            bool
	ObjectState        string
}

func testMailflow(d *cmdlets.Deps) *interp.CmdletInfo {
	return cmdlets.Exchange(&interp.CmdletInfo{
		Name:     "Test-Mailflow",
		Module:   cmdlets.Module,
		Synopsis: "Tests mail flow through the Transport service into a mailbox.",
		Description: "Test-Mailflow submits a test message from the server's system mailbox to the Transport service, as Mailbox Transport Submission does, " +
			"and waits until Mailbox Transport Delivery has put it into the target mailbox: the system mailbox itself, or -TargetEmailAddress. " +
			"It reports TestMailflowResult (Success or Failure) and the time the message took.",
		OutputType: TestMailflowType,
		Params: []*interp.ParamInfo{
			{Name: "Identity", Kind: interp.KindObject, Position: 0, FromPipeline: true, FromPipelineByPropertyName: true, Help: "Specifies the source server: the server the shell runs on (another server's mail flow is tested in a shell on it)."},
			{Name: "TargetEmailAddress", Kind: interp.KindString, Position: -1, Help: "Specifies a mailbox of the organisation to send the test message to."},
			{Name: "TargetMailboxServer", Kind: interp.KindString, Position: -1, Help: "Specifies the server whose system mailbox (in its mailbox database) receives the test message."},
			{Name: "ExecutionTimeout", Kind: interp.KindInt, Position: -1, Default: "240", Help: "Specifies how many seconds to wait for the test message (240 by default)."},
			{Name: "DomainController", Kind: interp.KindString, Position: -1, Help: "Accepted for compatibility."},
		},
		Examples: []interp.Example{
			{Code: "Test-Mailflow", Remarks: "Tests mail flow to this server's system mailbox."},
			{Code: "Test-Mailflow EX01 -TargetEmailAddress administrator@contoso.com", Remarks: "Tests delivery into the Administrator mailbox."},
		},
		Process: func(c *interp.Call) error { return testMailflowProcess(d, c) },
	})
}

func testMailflowProcess(d *cmdlets.Deps, c *interp.Call) error {
	var (
		task           *cmdlets.Task
		site           cmdlets.Site
		source, target *state.Recipient
		hubState       string
	)
	// load reads what the test needs; without create it leaves source
	// nil when the system mailbox is yet to be made.
	load := func(tx state.Tx, create bool) error {
		site = d.LoadSite(tx)
		task = cmdlets.NewTask(d, c.Info.Name, site)
		for _, p := range []string{"Identity", "TargetMailboxServer"} {
			if c.Has(p) && c.Value(p) != nil {
				srv, err := tx.Server(identityOf(c.Value(p)))
				if err != nil {
					return task.NotFound(identityOf(c.Value(p)))
				}
				if p == "Identity" && !strings.EqualFold(srv.Name, site.Server) {
					// The test message is submitted here: testing from
					// another server would report this one's mail flow.
					return task.InvalidOperation(cmdlets.ReasonInvalidOp,
						"Test-Mailflow sends its test message from the server the shell runs on, %s. To test mail flow from %s, run Test-Mailflow in a shell on %s.", site.Server, srv.Name, srv.Name)
				}
			}
		}
		states, err := tx.ServerComponentStates(site.Server)
		if err != nil {
			return err
		}
		hubState = state.EffectiveComponentState(states, "HubTransport")
		if source, err = systemMailbox(tx, site.Server, create); err != nil || source == nil {
			return err
		}
		target = source
		if c.Has("TargetMailboxServer") && c.Value("TargetMailboxServer") != nil {
			srv, err := tx.Server(identityOf(c.Value("TargetMailboxServer")))
			if err != nil {
				return err
			}
			if target, err = systemMailbox(tx, srv.Name, create); err != nil || target == nil {
				source = nil // made with the source in one write
				return err
			}
		}
		if c.Has("TargetEmailAddress") {
			addr := strings.TrimSpace(c.String("TargetEmailAddress"))
			if target = findMailbox(tx, addr); target == nil {
				return task.NotFound(addr)
			}
		}
		return nil
	}
	// A read, but for the first test of the database, which makes its
	// system mailbox.
	err := d.Store.View(func(tx state.Tx) error { return load(tx, false) })
	if err == nil && source == nil {
		err = d.Store.Update(func(tx state.Tx) error { return load(tx, true) })
	}
	if err != nil {
		var er *interp.ErrorRecord
		if errors.As(err, &er) {
			c.WriteError(er)
			return nil
		}
		return orNewTask(d, c, task).StoreError(err)
	}
	tr, reader := d.Submitter, d.Mailboxes
	if tr == nil || reader == nil {
		return task.InvalidOperation(cmdlets.ReasonInvalidOp, "The Microsoft Exchange Transport service isn't running on server %s.", site.ServerFqdn)
	}
	if target.ServerName != "" && !strings.EqualFold(target.ServerName, site.Server) {
		// The target mailbox is on another server of the organisation:
		// its store is read there.
		r, err := newMailboxStores(d, c, task).of(target.ServerName)
		if err != nil || r == nil {
			return err // a server that can't be reached is reported
		}
		reader = r
	}
	timeout := 240 * time.Second
	if c.Has("ExecutionTimeout") {
		n, _ := object.ToInt64(c.Value("ExecutionTimeout"))
		timeout = time.Duration(n) * time.Second
	}
	start := time.Now()
	subject := "Test-Mailflow " + state.NewGuid()
	data := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n\r\nThis is a test message sent by Test-Mailflow.\r\n",
		source.PrimarySmtpAddress, target.PrimarySmtpAddress, subject, start.Format(time.RFC1123Z))
	loopback := netip.MustParseAddr("127.0.0.1")
	result := &testMailflowResult{TestMailflowResult: "Failure", MessageLatencyTime: timeout, IsValid: true, ObjectState: "New"}
	if hubState != state.ComponentActive {
		// Mailbox Transport Submission hands the message to the Transport
		// service over SMTP, which takes no new mail while it drains.
		c.WriteWarning(fmt.Sprintf("The Microsoft Exchange Transport service on %s refused the test message: 421 4.3.2 Service not available (HubTransport is %s).", site.ServerFqdn, hubState))
		return c.WriteObject(cmdlets.ToObject([]string{TestMailflowType, "System.Object"}, result))
	}
	_, err = tr.Submit(&mail.Submission{
		ConnectorIdentity: site.Server + `\Mailbox Transport Submission`, SessionID: "0000000000000000",
		ClientIP: loopback, ClientHostname: site.ServerFqdn, ServerIP: loopback, ServerHostname: site.ServerFqdn,
		Sender: source.PrimarySmtpAddress, Recipients: []string{target.PrimarySmtpAddress},
		AuthUser: site.NetBIOSDomain + `\` + site.Server + "$", ReceivedAt: start, Data: []byte(data), Direction: "Originating",
	})
	ctx := c.Context()
	if err == nil {
		deadline := start.Add(timeout)
		for {
			if delivered(reader, target.Guid, subject) {
				result.TestMailflowResult = "Success"
				result.MessageLatencyTime = time.Since(start)
				break
			}
			if time.Now().After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	if result.TestMailflowResult != "Success" {
		result.MessageLatencyTime = timeout
		c.WriteWarning(fmt.Sprintf("The test message wasn't delivered to %s within %s. Check the queues with Get-Queue and the message with Get-MessageTrackingLog -MessageSubject \"%s\".",
			target.PrimarySmtpAddress, object.FormatTimeSpan(timeout), subject))
	}
	return c.WriteObject(cmdlets.ToObject([]string{TestMailflowType, "System.Object"}, result))
}

// delivered reports whether the mailbox holds the test message.
func delivered(reader cmdlets.MailboxReader, mailbox, subject string) bool {
	items, err := reader.MailboxItems(mailbox)
	if err != nil {
		return false
	}
	for _, it := range items {
		if it.Subject == subject {
			return true
		}
	}
	return false
}

// systemMailboxPrefix names the server's system mailbox, the source and
// default target of Test-Mailflow.
const systemMailboxPrefix = "SystemMailbox{"

// systemMailbox returns the system mailbox of server's mailbox database
// (the first database when none is on that server), creating it on first
// use when create is set (nil without create). It is an arbitration
// mailbox: Get-Mailbox and Get-Recipient don't list it.
func systemMailbox(tx state.Tx, server string, create bool) (*state.Recipient, error) {
	dbs, err := tx.MailboxDatabases()
	if err != nil {
		return nil, err
	}
	if len(dbs) == 0 {
		return nil, fmt.Errorf("no mailbox database: %w", state.ErrNotFound)
	}
	db := dbs[0]
	for _, x := range dbs {
		if strings.EqualFold(x.Server, server) {
			db = x
			break
		}
	}
	name := systemMailboxPrefix + db.Guid + "}"
	if r, err := tx.RecipientByName(name); err == nil {
		return r, nil
	} else if !errors.Is(err, state.ErrNotFound) {
		return nil, err
	}
	if !create {
		return nil, nil
	}
	org, err := tx.Org()
	if err != nil {
		return nil, err
	}
	srv, err := tx.Server(db.Server)
	if err != nil {
		srv, _ = tx.Server(org.ServerName)
	}
	r := setup.NewMailboxDefaults(name, name, org, srv, db)
	r.RecipientTypeDetails = "ArbitrationMailbox"
	r.DisplayName = "Microsoft Exchange"
	if err := tx.PutRecipient(r); err != nil {
		return nil, err
	}
	return r, nil
}

// orNewTask returns t, or when the store failed before its transaction
// began and so made none, a task on this server.
func orNewTask(d *cmdlets.Deps, c *interp.Call, t *cmdlets.Task) *cmdlets.Task {
	if t != nil {
		return t
	}
	return cmdlets.NewTaskWithoutStore(d, c.Info.Name)
}
