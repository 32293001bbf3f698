package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/mail"
	"sort"
	"strconv"
	"strings"

	gomessage "github.com/emersion/go-message"

	"exsh/cmdlets"
	"exsh/shell/format"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// MailboxMessageType is the type name of Get-MailboxMessage's objects.
const MailboxMessageType = "Exsh.Mailbox.MailboxMessage"

func init() {
	format.Register(MailboxMessageType, format.View{
		Table: []format.Column{
			{Property: "ReceivedTime"},
			{Property: "From"},
			{Property: "Subject"},
			{Property: "Size"},
		},
	})
}

// StoreMailboxes reads the mailboxes in a store directly (the store's
// queue and mailbox buckets): what cmd/exsh gives the cmdlets as
// Deps.Mailboxes once the data path is open.
func StoreMailboxes(st state.QueueStore) cmdlets.MailboxReader { return storeReader{st} }

type storeReader struct{ st state.QueueStore }

func (s storeReader) MailboxItems(mailbox string) (out []*state.MailboxItem, err error) {
	err = s.st.QueueView(func(q state.QueueTx) error {
		out, err = q.MailboxItems(mailbox)
		return err
	})
	return out, err
}

func (s storeReader) MailboxItemData(mailbox string, id int64) (out []byte, err error) {
	err = s.st.QueueView(func(q state.QueueTx) error {
		out, err = q.MailboxItemData(mailbox, id)
		return err
	})
	return out, err
}

func getMailboxMessage(d *cmdlets.Deps) *interp.CmdletInfo {
	id := &interp.ParamInfo{Name: "Identity", Kind: interp.KindObject, Position: 0,
		FromPipeline: true, FromPipelineByPropertyName: true,
		Help: "Specifies the mailbox: its name, alias, email address, user principal name or GUID, or a mailbox object from Get-Mailbox. Without it, the messages of every mailbox are listed."}
	rs := &interp.ParamInfo{Name: "ResultSize", Kind: interp.KindString, Position: -1, Default: "1000",
		Help: "Specifies the maximum number of messages to return: a number, or Unlimited for all."}
	srvParam := &interp.ParamInfo{Name: "Server", Kind: interp.KindString, Position: -1, Complete: cmdlets.CompleteServers(d),
		Help: "Lists only the mailboxes whose database is on this server (its name or FQDN). Without it, every server's mailboxes are read; another server's over its management channel."}
	return cmdlets.Exchange(&interp.CmdletInfo{
		Name:     "Get-MailboxMessage",
		Synopsis: "Lists the messages delivered into a mailbox, newest first.",
		Description: "Get-MailboxMessage (an exsh extension) reads the mailbox store that Mailbox Transport Delivery writes. " +
			"The default view shows ReceivedTime, From, Subject and Size; Format-List adds the recipients, the Received: " +
			"chain of every hop, the full header block (Headers) and the text of the message (Body).",
		Params:     []*interp.ParamInfo{id, rs, srvParam},
		OutputType: MailboxMessageType,
		Examples: []interp.Example{
			{Code: "Get-MailboxMessage Administrator", Remarks: "Lists the messages in the Administrator mailbox, newest first."},
			{Code: "Get-MailboxMessage michelle@contoso.com -ResultSize 1 | Format-List Subject,Received,Headers,Body",
				Remarks: "Shows the latest message delivered to michelle@contoso.com with its Received: chain, headers and body."},
			{Code: "Get-Mailbox | Get-MailboxMessage | Where-Object Subject -like 'Undeliverable*'",
				Remarks: "Finds the non-delivery reports in every mailbox."},
		},
		Process: func(c *interp.Call) error { return listMailboxMessages(d, c) },
	})
}

func listMailboxMessages(d *cmdlets.Deps, c *interp.Call) error {
	var (
		boxes []*state.Recipient
		task  *cmdlets.Task
		// serverOf is the server of each mailbox's database, by the
		// mailbox's Guid; absent for this server's.
		serverOf = map[string]string{}
	)
	err := d.Store.View(func(tx state.Tx) error {
		site := d.LoadSite(tx)
		task = cmdlets.NewTask(d, c.Info.Name, site)
		only := "" // -Server: the one server whose mailboxes are read
		if c.Has("Server") {
			var err error
			if only, err = serverArg(tx, site, task, c.String("Server")); err != nil {
				return err
			}
		}
		// where is a mailbox's server ("" for this one); in keeps it when
		// -Server names its server.
		dbServer := map[string]string{} // by database name, lower case
		where := func(r *state.Recipient) string {
			if r.Database == "" {
				return ""
			}
			key := strings.ToLower(r.Database)
			if srv, ok := dbServer[key]; ok {
				return srv
			}
			srv := ""
			db, err := tx.MailboxDatabase(r.Database)
			if err == nil && db.Server != "" && !strings.EqualFold(db.Server, site.Server) {
				// A database of no known server is read in the local store.
				if _, err := tx.Server(db.Server); err == nil {
					srv = db.Server
				}
			}
			dbServer[key] = srv
			return srv
		}
		in := func(r *state.Recipient) bool {
			srv := where(r)
			if srv != "" {
				serverOf[r.Guid] = srv
			} else {
				srv = site.Server
			}
			return only == "" || strings.EqualFold(srv, only)
		}
		if !c.Has("Identity") || c.Value("Identity") == nil {
			all, err := tx.Recipients()
			if err != nil {
				return err
			}
			for _, r := range all {
				if r.HasMailbox() && in(r) {
					boxes = append(boxes, r)
				}
			}
			return nil
		}
		v := c.Value("Identity")
		if o, ok := v.(*object.PSObject); ok {
			if r, ok := o.Base.(*state.Recipient); ok {
				v = r.Guid
			} else if idv, ok := o.Get("Identity"); ok {
				v = idv
			}
		}
		ident := strings.TrimSpace(object.ToString(v))
		r := findMailbox(tx, ident)
		if r == nil {
			return task.NotFound(ident)
		}
		if in(r) {
			boxes = []*state.Recipient{r}
		}
		return nil
	})
	if err != nil {
		var er *interp.ErrorRecord
		if errors.As(err, &er) {
			c.WriteError(er)
			return nil
		}
		return task.StoreError(err)
	}
	limit, defaulted, err := resultSize(c, task)
	if err != nil {
		return err
	}
	stores := newMailboxStores(d, c, task)
	type entry struct {
		box    *state.Recipient
		item   *state.MailboxItem
		reader cmdlets.MailboxReader
		server string
	}
	var items []entry
	for _, b := range boxes {
		server := serverOf[b.Guid]
		reader, err := stores.of(server)
		if err != nil {
			return err
		}
		if reader == nil {
			continue
		}
		list, err := reader.MailboxItems(b.Guid)
		if err != nil {
			e, goOn := stores.readErr(server, err)
			if !goOn {
				return e
			}
			c.WriteError(e)
			continue
		}
		for _, it := range list {
			items = append(items, entry{b, it, reader, server})
		}
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i].item, items[j].item
		if !a.ReceivedTime.Equal(b.ReceivedTime) {
			return a.ReceivedTime.After(b.ReceivedTime)
		}
		return a.Id > b.Id
	})
	for n, e := range items {
		if limit >= 0 && n >= limit {
			if defaulted {
				c.WriteWarning(moreResultsWarning)
			}
			break
		}
		data, err := e.reader.MailboxItemData(e.box.Guid, e.item.Id)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			rec, _ := stores.readErr(e.server, err)
			return rec
		}
		if err := c.WriteObject(mailboxMessageObject(e.box, e.item, data)); err != nil {
			return err
		}
	}
	return nil
}

// moreResultsWarning is Exchange's warning when the default ResultSize cut
// the output short.
const moreResultsWarning = `By default, only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify "-ResultSize Unlimited". Be aware that, depending on the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.`

// resultSize reads -ResultSize: a positive number or Unlimited (-1), and
// whether the default of 1000 applied.
func resultSize(c *interp.Call, task *cmdlets.Task) (int, bool, error) {
	if !c.Has("ResultSize") {
		return 1000, true, nil
	}
	s := strings.TrimSpace(object.ToString(c.Value("ResultSize")))
	if strings.EqualFold(s, "unlimited") {
		return -1, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, false, task.InvalidArgument("Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". Error: \"The value must be a positive number or Unlimited.\"", s)
	}
	return n, false, nil
}

// findMailbox resolves a mailbox identity: GUID, address, name or alias,
// or logon name. Accounts without a mailbox are not found.
func findMailbox(tx state.Tx, ident string) *state.Recipient {
	tries := []func(string) (*state.Recipient, error){tx.RecipientByName, tx.RecipientByLogin}
	if state.IsGuid(ident) {
		tries = append([]func(string) (*state.Recipient, error){tx.Recipient}, tries...)
	}
	if strings.Contains(ident, "@") {
		tries = append([]func(string) (*state.Recipient, error){tx.RecipientByAddress}, tries...)
	}
	for _, f := range tries {
		if r, err := f(strings.Trim(ident, "{}")); err == nil && r != nil && r.HasMailbox() {
			return r
		}
	}
	return nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return strings.NewReader(string(r)), nil
	}
	return input, nil
}}

func decodeHeader(s string) string {
	if out, err := wordDecoder.DecodeHeader(s); err == nil {
		return out
	}
	return s
}

// mailboxMessageObject builds the shell object of one delivered message.
func mailboxMessageObject(box *state.Recipient, it *state.MailboxItem, data []byte) *object.PSObject {
	o := object.New(MailboxMessageType)
	o.Base = it
	alias := box.Alias
	if alias == "" {
		alias = box.Name
	}
	o.Add("Identity", alias+`\`+strconv.FormatInt(it.Id, 10))
	o.Add("Mailbox", box.Name)
	o.Add("ReceivedTime", it.ReceivedTime.Local())

	headers, body := splitMessage(data)
	var h mail.Header
	if m, err := mail.ReadMessage(bytes.NewReader(append(append([]byte{}, headers...), "\r\n\r\n"...))); err == nil {
		h = m.Header
	}
	from := it.From
	if f := h.Get("From"); f != "" {
		from = decodeHeader(f)
	}
	o.Add("From", from)
	o.Add("To", addressValues(h, "To"))
	o.Add("Cc", addressValues(h, "Cc"))
	subject := it.Subject
	if s := h.Get("Subject"); s != "" || subject == "" {
		subject = decodeHeader(s)
	}
	o.Add("Subject", subject)
	o.Add("Size", state.ByteSize(it.Size))
	msgID := it.MessageId
	if msgID == "" {
		msgID = h.Get("Message-ID")
	}
	o.Add("MessageId", msgID)
	o.Add("InternalMessageId", it.InternalMessageId)
	o.Add("NetworkMessageId", it.NetworkMessageId)
	var received []any
	for _, r := range h["Received"] {
		received = append(received, strings.Join(strings.Fields(r), " "))
	}
	if received == nil {
		received = []any{}
	}
	o.Add("Received", received)
	o.Add("Headers", strings.TrimRight(string(headers), "\r\n"))
	text, names := readBody(data)
	if text == "" && len(names) == 0 && len(body) > 0 {
		text = string(body)
	}
	o.Add("Body", text)
	att := make([]any, len(names))
	for i, n := range names {
		att[i] = n
	}
	o.Add("Attachments", att)
	return o
}

func addressValues(h mail.Header, key string) []any {
	out := []any{}
	if h == nil || h.Get(key) == "" {
		return out
	}
	list, err := h.AddressList(key)
	if err != nil {
		for _, p := range strings.Split(decodeHeader(h.Get(key)), ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	for _, a := range list {
		out = append(out, a.Address)
	}
	return out
}

// splitMessage returns the header block and the body of a raw message.
func splitMessage(data []byte) (headers, body []byte) {
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return data[:i], data[i+4:]
	}
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		return data[:i], data[i+2:]
	}
	return data, nil
}

// readBody returns the message's text (the first text/plain part, else the
// first text/html part, decoded) and the names of its attachments.
func readBody(data []byte) (string, []string) {
	ent, err := gomessage.Read(bytes.NewReader(data))
	if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		return "", nil
	}
	if ent == nil {
		return "", nil
	}
	var plain, html string
	var names []string
	var walk func(e *gomessage.Entity, depth int)
	walk = func(e *gomessage.Entity, depth int) {
		if depth > 20 {
			return
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					if gomessage.IsUnknownCharset(err) && p != nil {
						walk(p, depth+1)
						continue
					}
					return
				}
				walk(p, depth+1)
			}
		}
		ct, params, _ := e.Header.ContentType()
		disp, dparams, _ := e.Header.ContentDisposition()
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		if strings.EqualFold(disp, "attachment") || (name != "" && !strings.HasPrefix(ct, "text/")) {
			if name == "" {
				name = "attachment"
			}
			names = append(names, decodeHeader(name))
			return
		}
		switch {
		case ct == "text/plain" || ct == "":
			if plain == "" {
				b, _ := io.ReadAll(io.LimitReader(e.Body, 1<<20))
				plain = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		case ct == "text/html":
			if html == "" {
				b, _ := io.ReadAll(io.LimitReader(e.Body, 1<<20))
				html = strings.ReplaceAll(string(b), "\r\n", "\n")
			}
		case ct == "message/rfc822":
			// A DSN's returned message: an attachment named after its
			// subject, as Outlook shows it.
			name := "Untitled"
			if m, err := mail.ReadMessage(io.LimitReader(e.Body, 1<<20)); err == nil {
				if s := decodeHeader(m.Header.Get("Subject")); s != "" {
					name = s
				}
			}
			names = append(names, name+".eml")
		case ct == "message/delivery-status" || ct == "text/rfc822-headers":
			// A DSN's machine-readable part: shown after the text.
			b, _ := io.ReadAll(io.LimitReader(e.Body, 1<<20))
			plain += "\n" + strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	walk(ent, 0)
	text := plain
	if strings.TrimSpace(text) == "" {
		text = html
	}
	return strings.TrimRight(text, "\n"), names
}
