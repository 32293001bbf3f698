package org

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"exsh/cmdlets"
	"exsh/cmdlets/opath"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// Recipient type names.
const (
	MailboxType   = "Microsoft.Exchange.Data.Directory.Management.Mailbox"
	UserType      = "Microsoft.Exchange.Data.Directory.Management.User"
	RecipientType = "Microsoft.Exchange.Data.Directory.Management.ReducedRecipient"
)

var (
	mailboxTypeNames   = []string{MailboxType, "Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson", "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
	userTypeNames      = []string{UserType, "Microsoft.Exchange.Data.Directory.Management.ADPresentationObject", "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
	recipientTypeNames = []string{RecipientType, "Microsoft.Exchange.Data.Directory.ADObject", "System.Object"}
)

var recipientTypes = []string{"UserMailbox", "User", "MailUser", "MailContact", "MailUniversalDistributionGroup", "DynamicDistributionGroup"}

func recipientCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	get := &interp.CmdletInfo{
		Name:        "Get-Recipient",
		Synopsis:    "Gets the recipients of the organisation.",
		Description: "Get-Recipient returns the mail-enabled recipients of the organisation (mailboxes). Accounts without a mailbox are listed only with -RecipientType User or -RecipientTypeDetails User. -RecipientType filters by type; -ResultSize limits the count (1000 by default).",
		OutputType:  RecipientType,
		Params: []*interp.ParamInfo{
			identityParam("Specifies the recipient: name, alias, email address, user principal name, DOMAIN\\account, distinguished name or GUID. Wildcards are allowed.", false, recipientCompleter(d, "")),
			{Name: "RecipientType", Kind: interp.KindEnum, Array: true, Position: -1, Values: recipientTypes, Help: "Returns only recipients of the given types (UserMailbox, User, ...)."},
			{Name: "RecipientTypeDetails", Kind: interp.KindString, Array: true, Position: -1, Help: "Returns only recipients with the given RecipientTypeDetails."},
			filterParam(), resultSizeParam(), domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Get-Recipient", Remarks: "Lists every mail-enabled recipient with its type."},
			{Code: "Get-Recipient -RecipientType UserMailbox -ResultSize Unlimited", Remarks: "Lists every mailbox."},
		},
	}
	get.Process = func(c *interp.Call) error {
		return listRecipients(d, c, recipientTypeNames, func(rc *state.Recipient) bool {
			if !c.Has("RecipientType") && !c.Has("RecipientTypeDetails") && rc.RecipientType == "User" {
				// Get-Recipient lists mail-enabled recipients; an account
				// without a mailbox shows only when its type is asked for.
				return false
			}
			if c.Has("RecipientType") && !containsFold(c.Strings("RecipientType"), rc.RecipientType) {
				return false
			}
			if c.Has("RecipientTypeDetails") && !containsFold(c.Strings("RecipientTypeDetails"), rc.RecipientTypeDetails) {
				return false
			}
			return true
		})
	}
	return []*interp.CmdletInfo{get}
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), s) {
				return true
			}
		}
	}
	return false
}

// recipientProperties are the properties -Filter can name: those of the
// objects the cmdlet returns.
func recipientProperties(typeNames []string) []string {
	var out []string
	for _, p := range cmdlets.ToObject(typeNames, &state.Recipient{}).Properties() {
		out = append(out, p.Name)
	}
	return out
}

func filterParam() *interp.ParamInfo {
	return &interp.ParamInfo{Name: "Filter", Kind: interp.KindString, Position: -1,
		Help: "Filters the results with an OPATH expression such as \"Name -like 'a*'\" or {Alias -eq 'bob' -and RecipientType -eq 'UserMailbox'}: comparisons (-eq, -ne, -gt, -ge, -lt, -le, -like, -notlike) of a property with a value, joined with -and and -or, negated with -not."}
}

func recipientCompleter(d *cmdlets.Deps, recipientType string) func(context.Context, string) []string {
	return completer(d, func(tx state.Tx) ([]string, error) {
		rs, err := tx.Recipients()
		var out []string
		for _, r := range rs {
			if recipientType == "" || r.RecipientType == recipientType {
				out = append(out, r.Name)
			}
		}
		return out, err
	})
}

// listRecipients writes the recipients that -Identity, -Filter, keep and
// -ResultSize select.
func listRecipients(d *cmdlets.Deps, c *interp.Call, typeNames []string, keep func(*state.Recipient) bool) error {
	var out []*object.PSObject
	var truncated bool
	err := view(d, c, func(r *run, tx state.Tx) error {
		limit, defaultLimit, err := resultSize(r)
		if err != nil {
			return err
		}
		var flt func(get func(string) (any, bool)) bool
		if c.Has("Filter") {
			if flt, err = opath.CompileFor(c.String("Filter"), recipientProperties(typeNames)); err != nil {
				return interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind, "CannotConvertArgument,"+c.Info.Name, "", "%s", opath.BindMessage("Filter", err))
			}
		}
		rs, err := r.findRecipients(tx, c.Value("Identity"), c.Has("Identity"))
		if err != nil {
			return err
		}
		for _, rc := range rs {
			if !keep(rc) || rc.RecipientTypeDetails == "ArbitrationMailbox" {
				continue // system mailboxes are listed only with -Arbitration in Exchange
			}
			o := cmdlets.ToObject(typeNames, rc)
			if flt != nil && !flt(o.Get) {
				continue
			}
			if limit >= 0 && len(out) >= limit {
				truncated = defaultLimit
				break
			}
			out = append(out, o)
		}
		if len(out) == 0 && c.Has("Identity") && flt == nil {
			if text := cmdlets.IdentityText(c.Value("Identity")); !cmdlets.HasWildcard(text) {
				return r.task.NotFound(text)
			}
		}
		return nil
	})
	if err != nil {
		return report(c, err)
	}
	if err := write(c, out); err != nil {
		return err
	}
	if truncated {
		c.WriteWarning("By default only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending on the actual number of items, returning all items can take a long time and consume a large amount of memory. Also, we don't recommend storing the results in a variable. Instead, pipe the results to another task or script to perform batch changes.")
	}
	return nil
}

// findRecipients resolves a recipient identity: GUID, name, alias, email
// address, UPN, DOMAIN\account, distinguished name, "domain/Users/Name";
// wildcards match names and aliases.
func (r *run) findRecipients(tx state.Tx, arg any, given bool) ([]*state.Recipient, error) {
	if !given || arg == nil {
		return tx.Recipients()
	}
	if g := cmdlets.GuidOf(arg); g != "" {
		if rc, err := tx.Recipient(g); err == nil {
			return []*state.Recipient{rc}, nil
		}
	}
	text := cmdlets.IdentityText(arg)
	if text == "" {
		return nil, r.task.NotFound(text)
	}
	if state.IsGuid(text) {
		rc, err := tx.Recipient(state.CanonicalGuid(text))
		if err != nil {
			return nil, r.task.NotFound(text)
		}
		return []*state.Recipient{rc}, nil
	}
	if cmdlets.HasWildcard(text) {
		all, err := tx.Recipients()
		var out []*state.Recipient
		for _, rc := range all {
			if cmdlets.Like(text, rc.Name) || cmdlets.Like(text, rc.Alias) || cmdlets.Like(text, rc.PrimarySmtpAddress) {
				out = append(out, rc)
			}
		}
		return out, err
	}
	name := text
	if cns, ok := cmdlets.ParseDN(text); ok && len(cns) > 0 {
		name = cns[0]
	} else if i := strings.LastIndex(text, "/"); i >= 0 {
		name = text[i+1:]
	}
	if rc, err := tx.RecipientByName(name); err == nil {
		return []*state.Recipient{rc}, nil
	}
	if strings.Contains(text, "@") {
		if rc, err := tx.RecipientByAddress(text); err == nil {
			return []*state.Recipient{rc}, nil
		}
	}
	if rc, err := tx.RecipientByLogin(text); err == nil {
		return []*state.Recipient{rc}, nil
	}
	return nil, r.task.NotFound(text)
}

// recipient resolves -Identity to one recipient; wantMailbox limits it to
// mailboxes (Set-/Remove-Mailbox) and reports others as not found.
func (r *run) recipient(tx state.Tx, wantMailbox bool) (*state.Recipient, error) {
	var keep func(*state.Recipient) bool
	if wantMailbox {
		keep = (*state.Recipient).HasMailbox
	}
	return r.recipientOf(tx, "Identity", keep)
}

var aliasRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+(\\.[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+)*$")

// defaultAlias is the alias Exchange derives when -Alias is absent: the
// left part of the user principal name, else the name without the
// characters an alias can't hold.
func defaultAlias(name, upn string) string {
	if upn != "" {
		if i := strings.IndexByte(upn, '@'); i > 0 {
			return upn[:i]
		}
	}
	var b strings.Builder
	for _, ch := range name {
		if ch < 128 && aliasRE.MatchString(string(ch)) {
			b.WriteRune(ch)
		}
	}
	return strings.Trim(b.String(), ".")
}

func (r *run) checkAlias(alias string) error {
	if len(alias) > 64 {
		return r.task.TooLong("Alias", 64, len(alias))
	}
	if alias == "" || !aliasRE.MatchString(alias) {
		return r.task.Invalid("Property expression \"%s\" isn't valid. Valid values are: Strings formed with characters from A to Z (uppercase or lowercase), digits from 0 to 9, !, #, $, %%, &, ', *, +, -, /, =, ?, ^, _, `, {, |, } or ~. One or more periods may be embedded in an alias, but each period should be preceded and followed by at least one of the other characters. Unicode characters from U+00A1 to U+00FF are also valid in an alias, but they will be mapped to a best-fit US-ASCII string in the email address, which is generated from such an alias.", alias)
	}
	return nil
}

var smtpRE = regexp.MustCompile(`^[^@\s]+@[A-Za-z0-9._-]+\.[A-Za-z0-9-]+$|^[^@\s]+@[A-Za-z0-9-]+$`)

// canonProxy validates an EmailAddresses value and returns it with its
// prefix: "SMTP:" marks the primary address, "smtp:" a secondary one; an
// address without a prefix is secondary.
func canonProxy(s string) (string, error) {
	v := strings.TrimSpace(s)
	prefix, addr := "smtp", v
	if p, a, ok := strings.Cut(v, ":"); ok && !strings.Contains(p, "@") {
		prefix, addr = p, a
	}
	switch {
	case prefix == "SMTP", prefix == "smtp":
	case strings.EqualFold(prefix, "smtp"):
		prefix = "smtp"
	default:
		return prefix + ":" + addr, nil // X500:, SIP:, ... kept as given
	}
	if !smtpRE.MatchString(addr) {
		return "", badEmailAddress(addr)
	}
	return prefix + ":" + addr, nil
}

func badEmailAddress(addr string) error {
	return textf("The email address \"%s\" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com.", addr)
}

// primarySmtpArg reads -PrimarySmtpAddress: an SMTP address, with or
// without its smtp: prefix; another address type is refused.
func (r *run) primarySmtpArg() (string, error) {
	p, err := canonProxy(r.c.String("PrimarySmtpAddress"))
	if err == nil && !strings.EqualFold(p[:min(len(p), 5)], "smtp:") {
		err = badEmailAddress(strings.TrimSpace(r.c.String("PrimarySmtpAddress")))
	}
	if err != nil {
		return "", r.task.InvalidArgument("%s", err.Error())
	}
	_, addr, _ := strings.Cut(p, ":")
	return addr, nil
}

// proxyKey compares proxy addresses without their primary/secondary case.
func proxyKey(s string) string { return strings.ToLower(s) }

// primaryOf returns the SMTP: address of a proxy list.
func primaryOf(addrs []string) string {
	for _, a := range addrs {
		if strings.HasPrefix(a, "SMTP:") {
			return a[5:]
		}
	}
	return ""
}

// setPrimary makes addr the primary SMTP address: it becomes "SMTP:", the
// old primary becomes "smtp:", and addr is added when missing.
func setPrimary(addrs []string, addr string) []string {
	out := make([]string, 0, len(addrs)+1)
	found := false
	for _, a := range addrs {
		p, v, _ := strings.Cut(a, ":")
		if !strings.EqualFold(p, "smtp") {
			out = append(out, a)
			continue
		}
		if strings.EqualFold(v, addr) {
			out = append(out, "SMTP:"+v)
			found = true
		} else {
			out = append(out, "smtp:"+v)
		}
	}
	if !found {
		out = append([]string{"SMTP:" + addr}, out...)
	}
	return out
}

// checkAddresses enforces Exchange's rules on a recipient's addresses:
// exactly one primary SMTP address, every SMTP domain an accepted
// (Authoritative or InternalRelay) domain — except a mail contact's, whose
// addresses outside the organisation are where its mail goes —, and no
// address used by another recipient.
func (r *run) checkAddresses(tx state.Tx, rc *state.Recipient) error {
	primaries := 0
	domains, err := tx.AcceptedDomains()
	if err != nil {
		return err
	}
	for _, a := range rc.EmailAddresses {
		p, addr, _ := strings.Cut(a, ":")
		if !strings.EqualFold(p, "smtp") {
			continue
		}
		if p == "SMTP" {
			primaries++
		}
		ad := state.MatchAcceptedDomain(domains, state.AddressDomain(addr))
		if (ad == nil || ad.DomainType == "ExternalRelay") && !rc.IsContact() {
			return r.task.Invalid("The email address \"%s\" isn't correct. The domain \"%s\" isn't an accepted domain of the organisation, or it's an ExternalRelay domain.", addr, state.AddressDomain(addr))
		}
		if err := r.addressFree(tx, rc, addr); err != nil {
			return err
		}
	}
	if rc.HasMailbox() && primaries != 1 {
		return r.task.Invalid("The EmailAddresses property must contain exactly one primary SMTP address (prefix \"SMTP:\"); it contains %d.", primaries)
	}
	rc.PrimarySmtpAddress = primaryOf(rc.EmailAddresses)
	return nil
}

// putChanged ends a Set-* of a group or contact: nothing changed gives the
// no-change warning (in *warn), else the addresses are checked, the action
// confirmed ("Setting <noun> "<identity>".") and the recipient stored.
func (r *run) putChanged(tx state.Tx, before, rc *state.Recipient, noun string, warn *string) error {
	if !changed(*before, *rc) {
		*warn = cmdlets.NoChangeWarning(before.Identity)
		return errSkip
	}
	if err := r.checkAddresses(tx, rc); err != nil {
		return err
	}
	if !cmdlets.ShouldProcess(r.c, fmt.Sprintf("Setting %s \"%s\".", noun, before.Identity)) {
		return errSkip
	}
	return tx.PutRecipient(rc)
}

// addressFree fails when another recipient than rc has the SMTP address
// addr.
func (r *run) addressFree(tx state.Tx, rc *state.Recipient, addr string) error {
	if other, err := tx.RecipientByAddress(addr); err == nil && other.Guid != rc.Guid {
		return r.task.Errorf(cmdlets.CategoryNotSpecified, cmdlets.ReasonProxyAddress,
			"The proxy address \"SMTP:%s\" is already being used by the proxy addresses or LegacyExchangeDN of \"%s\". Please choose another proxy address.", addr, other.Name)
	}
	return nil
}

// checkAccount enforces uniqueness of Name, UPN and SamAccountName.
func (r *run) checkAccount(tx state.Tx, rc *state.Recipient) error {
	if len(rc.Name) > 64 {
		return r.task.TooLong("Name", 64, len(rc.Name))
	}
	all, err := tx.Recipients()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Guid == rc.Guid {
			continue
		}
		switch {
		case strings.EqualFold(o.Name, rc.Name):
			return r.task.AlreadyExists(rc.DistinguishedName)
		case rc.UserPrincipalName != "" && strings.EqualFold(o.UserPrincipalName, rc.UserPrincipalName):
			return r.task.Errorf(cmdlets.CategoryNotSpecified, cmdlets.ReasonRecipientTask,
				"The user principal name %s isn't unique. It's already used by \"%s\".", rc.UserPrincipalName, o.Identity)
		case rc.SamAccountName != "" && strings.EqualFold(o.SamAccountName, rc.SamAccountName):
			return r.task.Errorf(cmdlets.CategoryNotSpecified, cmdlets.ReasonRecipientTask,
				"The SamAccountName %s isn't unique. It's already used by \"%s\".", rc.SamAccountName, o.Identity)
		case rc.Alias != "" && strings.EqualFold(o.Alias, rc.Alias) && isMailEnabled(rc) && isMailEnabled(o):
			return r.task.Errorf(cmdlets.CategoryNotSpecified, cmdlets.ReasonRecipientTask,
				"The alias %s is already used by \"%s\". Please choose another alias.", rc.Alias, o.Identity)
		}
	}
	if rc.UserPrincipalName != "" && !smtpRE.MatchString(rc.UserPrincipalName) {
		return r.task.Invalid("The user principal name \"%s\" isn't valid. Use the form user@domain.", rc.UserPrincipalName)
	}
	return nil
}

// password hashes a -Password argument; only the hash is kept.
func (r *run) password(v any) (string, error) {
	var plain string
	switch p := v.(type) {
	case *interp.SecureString:
		if p != nil {
			plain = p.Plain
		}
	case interp.SecureString:
		plain = p.Plain
	case string:
		return "", r.task.InvalidArgument("Cannot process argument transformation on parameter 'Password'. Cannot convert the \"%s\" value of type \"System.String\" to type \"System.Security.SecureString\".", p)
	}
	h, err := r.d.HashPassword(plain)
	if err != nil {
		return "", r.task.Invalid("The password doesn't meet the length, complexity or history requirements of the domain: %v.", err)
	}
	return h, nil
}

func setRecipientIdentity(rc *state.Recipient, site cmdlets.Site) {
	if rc.OrganizationalUnit == "" {
		rc.OrganizationalUnit = site.Domain + "/Users"
	}
	rc.Identity = rc.OrganizationalUnit + "/" + rc.Name
	rc.DistinguishedName = state.UserDN(rc.Name, site.Domain)
}

func samAccountName(alias string) string {
	if len(alias) > 20 {
		return alias[:20]
	}
	return alias
}
