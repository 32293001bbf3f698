package org

import (
	"fmt"
	"strings"

	"exsh/cmdlets"
	"exsh/shell/interp"
	"exsh/shell/object"
	"exsh/state"
)

// AcceptedDomainType is the type name of Get-AcceptedDomain's objects.
const AcceptedDomainType = "Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain"

var acceptedDomainTypeNames = []string{
	AcceptedDomainType,
	"Microsoft.Exchange.Data.Directory.ADConfigurationObject",
	"Microsoft.Exchange.Data.Directory.ADObject",
	"System.Object",
}

var domainTypes = []string{"Authoritative", "ExternalRelay", "InternalRelay"}

func acceptedDomainCmdlets(d *cmdlets.Deps) []*interp.CmdletInfo {
	complete := completer(d, func(tx state.Tx) ([]string, error) {
		ads, err := tx.AcceptedDomains()
		var out []string
		for _, ad := range ads {
			out = append(out, ad.Name)
		}
		return out, err
	})
	idHelp := "Specifies the accepted domain: its name, its domain name, its distinguished name or its GUID."
	domainTypeHelp := "Specifies the type of the domain: Authoritative (every recipient is in this organisation), InternalRelay (some recipients are elsewhere; mail for unknown recipients is relayed) or ExternalRelay (no recipients here; mail is relayed)."

	get := &interp.CmdletInfo{
		Name:        "Get-AcceptedDomain",
		Synopsis:    "Gets the accepted domains of the organisation.",
		Description: "Get-AcceptedDomain returns the SMTP domains the organisation accepts mail for.",
		OutputType:  AcceptedDomainType,
		Params:      []*interp.ParamInfo{identityParam(idHelp+" Wildcards are allowed.", false, complete), domainControllerParam()},
		Examples: []interp.Example{
			{Code: "Get-AcceptedDomain", Remarks: "Lists the accepted domains: Name, DomainName, DomainType and Default."},
		},
	}
	get.Process = func(c *interp.Call) error {
		var out []*object.PSObject
		err := view(d, c, func(r *run, tx state.Tx) error {
			ads, err := r.findAcceptedDomains(tx, c.Value("Identity"), c.Has("Identity"))
			for _, ad := range ads {
				out = append(out, cmdlets.ToObject(acceptedDomainTypeNames, ad))
			}
			return err
		})
		if err != nil {
			return report(c, err)
		}
		return write(c, out)
	}

	newAD := &interp.CmdletInfo{
		Name:     "New-AcceptedDomain",
		Synopsis: "Creates an accepted domain.",
		Description: "New-AcceptedDomain adds an SMTP domain the organisation accepts mail for. DomainName is a domain (contoso.com) or a domain with all its " +
			"subdomains (*.contoso.com); a wildcard inside the name (domain.*.contoso.com) isn't allowed.",
		OutputType:            AcceptedDomainType,
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			{Name: "Name", Kind: interp.KindString, Mandatory: true, Position: 0, Help: "Specifies a unique name for the accepted domain."},
			{Name: "DomainName", Kind: interp.KindString, Mandatory: true, Position: -1, Help: "Specifies the SMTP domain: contoso.com, or *.contoso.com for the domain and all its subdomains (at most 256 characters)."},
			{Name: "DomainType", Kind: interp.KindEnum, Position: -1, Values: domainTypes, Default: "Authoritative", Help: domainTypeHelp},
			named("MatchSubDomains", interp.KindBool, "Specifies whether mail for the subdomains of the domain is accepted too."),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "New-AcceptedDomain -Name Fabrikam -DomainName fabrikam.com", Remarks: "Accepts mail for fabrikam.com as an authoritative domain."},
			{Code: `New-AcceptedDomain -Name "Fabrikam relay" -DomainName *.fabrikam.net -DomainType InternalRelay`, Remarks: "Relays mail for fabrikam.net and its subdomains."},
		},
	}
	newAD.Process = func(c *interp.Call) error {
		var out *object.PSObject
		err := update(d, c, func(r *run, tx state.Tx) error {
			out = nil
			name := strings.TrimSpace(c.String("Name"))
			if len(name) > 64 {
				return r.task.TooLong("Name", 64, len(name))
			}
			domain, err := r.domainName(c.String("DomainName"))
			if err != nil {
				return err
			}
			ad := &state.AcceptedDomain{
				Name:       name,
				DomainName: domain,
				DomainType: "Authoritative",
			}
			if c.Has("DomainType") {
				ad.DomainType = canonical(c.String("DomainType"), domainTypes)
			}
			ad.AddressBookEnabled = ad.DomainType == "Authoritative"
			ad.MatchSubDomains = c.Bool("MatchSubDomains")
			setAcceptedDomainIdentity(ad, r.site)
			if err := r.checkAcceptedDomainUnique(tx, ad); err != nil {
				return err
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Creating accepted domain \"%s\" with domain name \"%s\".", ad.Name, ad.DomainName)) {
				return errSkip
			}
			if err := tx.PutAcceptedDomain(ad); err != nil {
				return err
			}
			out = cmdlets.ToObject(acceptedDomainTypeNames, ad)
			return nil
		})
		if err != nil || out == nil {
			return report(c, err)
		}
		return c.WriteObject(out)
	}

	setAD := &interp.CmdletInfo{
		Name:                  "Set-AcceptedDomain",
		Synopsis:              "Changes an accepted domain.",
		Description:           "Set-AcceptedDomain changes the type or name of an accepted domain, or makes it the default domain (only one domain is the default).",
		SupportsShouldProcess: true,
		Params: []*interp.ParamInfo{
			identityParam(idHelp, true, complete),
			{Name: "DomainType", Kind: interp.KindEnum, Position: -1, Values: domainTypes, Help: domainTypeHelp},
			named("MakeDefault", interp.KindBool, "Makes the accepted domain the default domain: the domain of new recipients' primary addresses. The previous default loses the flag."),
			named("AddressBookEnabled", interp.KindBool, "Specifies whether recipients in the domain are looked up (recipient filtering)."),
			named("MatchSubDomains", interp.KindBool, "Specifies whether mail for the subdomains of the domain is accepted too."),
			named("Name", interp.KindString, "Specifies a new name for the accepted domain."),
			domainControllerParam(),
		},
		Examples: []interp.Example{
			{Code: "Set-AcceptedDomain Fabrikam -MakeDefault $true", Remarks: "Makes fabrikam.com the default domain."},
			{Code: "Set-AcceptedDomain Fabrikam -DomainType InternalRelay", Remarks: "Relays mail for recipients of fabrikam.com that don't exist here."},
		},
	}
	setAD.Process = func(c *interp.Call) error {
		var warn string
		err := update(d, c, func(r *run, tx state.Tx) error {
			warn = ""
			ad, err := r.acceptedDomain(tx)
			if err != nil {
				return err
			}
			before := *ad
			if c.Has("DomainType") {
				ad.DomainType = canonical(c.String("DomainType"), domainTypes)
				if !c.Has("AddressBookEnabled") {
					ad.AddressBookEnabled = ad.DomainType == "Authoritative"
				}
			}
			if c.Has("AddressBookEnabled") {
				ad.AddressBookEnabled = c.Bool("AddressBookEnabled")
			}
			if c.Has("MatchSubDomains") {
				ad.MatchSubDomains = c.Bool("MatchSubDomains")
			}
			if c.Has("Name") {
				ad.Name = strings.TrimSpace(c.String("Name"))
				if len(ad.Name) > 64 {
					return r.task.TooLong("Name", 64, len(ad.Name))
				}
				setAcceptedDomainIdentity(ad, r.site)
				if err := r.checkAcceptedDomainUnique(tx, ad); err != nil {
					return err
				}
			}
			makeDefault := c.Has("MakeDefault") && c.Bool("MakeDefault")
			if c.Has("MakeDefault") && !c.Bool("MakeDefault") && before.Default {
				return r.task.InvalidOperation(cmdlets.ReasonInvalidOp, "The accepted domain \"%s\" is the default domain. To change the default domain, run Set-AcceptedDomain -MakeDefault $true on another accepted domain.", before.Identity)
			}
			if makeDefault {
				if ad.DomainType == "ExternalRelay" {
					return r.task.Invalid("An ExternalRelay accepted domain can't be the default domain.")
				}
				if strings.HasPrefix(ad.DomainName, "*") {
					return r.task.Invalid("The accepted domain \"%s\" can't be the default domain because its domain name contains a wildcard.", ad.DomainName)
				}
				ad.Default = true
			}
			if ad.Default && ad.DomainType == "ExternalRelay" {
				return r.task.Invalid("The default accepted domain can't be an ExternalRelay domain.")
			}
			if !changed(before, *ad) {
				warn = cmdlets.NoChangeWarning(before.Identity)
				return errSkip
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Configuring accepted domain \"%s\".", before.Identity)) {
				return errSkip
			}
			if makeDefault && !before.Default {
				all, err := tx.AcceptedDomains()
				if err != nil {
					return err
				}
				for _, o := range all {
					if o.Default && o.Guid != ad.Guid {
						o.Default = false
						if err := tx.PutAcceptedDomain(o); err != nil {
							return err
						}
					}
				}
			}
			return tx.PutAcceptedDomain(ad)
		})
		if warn != "" {
			c.WriteWarning(warn)
		}
		return report(c, err)
	}

	removeAD := &interp.CmdletInfo{
		Name:                  "Remove-AcceptedDomain",
		Synopsis:              "Removes an accepted domain.",
		Description:           "Remove-AcceptedDomain deletes an accepted domain. The default accepted domain can't be removed.",
		SupportsShouldProcess: true,
		ConfirmImpact:         "High",
		Params:                []*interp.ParamInfo{identityParam(idHelp, true, complete), domainControllerParam()},
		Examples:              []interp.Example{{Code: "Remove-AcceptedDomain Fabrikam -Confirm:$false", Remarks: "Stops accepting mail for fabrikam.com."}},
	}
	removeAD.Process = func(c *interp.Call) error {
		return report(c, update(d, c, func(r *run, tx state.Tx) error {
			ad, err := r.acceptedDomain(tx)
			if err != nil {
				return err
			}
			if ad.Default {
				return r.task.InvalidOperation(cmdlets.ReasonCannotRemoveDef,
					"The accepted domain \"%s\" is the default accepted domain and can't be removed. Make another accepted domain the default with Set-AcceptedDomain -MakeDefault $true, and then try again.", ad.Identity)
			}
			if !cmdlets.ShouldProcess(c, fmt.Sprintf("Removing accepted domain \"%s\".", ad.Identity)) {
				return errSkip
			}
			return tx.DeleteAcceptedDomain(ad.Guid)
		}))
	}
	return []*interp.CmdletInfo{get, newAD, setAD, removeAD}
}

// domainName validates a DomainName argument.
func (r *run) domainName(s string) (string, error) {
	d, err := state.ValidateDomainName(s)
	if err != nil || strings.Contains(strings.TrimPrefix(d, "*."), "*") {
		return "", r.task.InvalidArgument("Cannot process argument transformation on parameter 'DomainName'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.SmtpDomainWithSubdomains\". Error: \"'%s' isn't a valid SMTP domain. A wildcard is allowed only at the start of the domain, as in *.contoso.com.\"", strings.TrimSpace(s), strings.TrimSpace(s))
	}
	return d, nil
}

func setAcceptedDomainIdentity(ad *state.AcceptedDomain, site cmdlets.Site) {
	ad.Identity = ad.Name
	ad.DistinguishedName = state.AcceptedDomainDN(ad.Name, site.OrgName, site.Domain)
}

func (r *run) checkAcceptedDomainUnique(tx state.Tx, ad *state.AcceptedDomain) error {
	all, err := tx.AcceptedDomains()
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Guid == ad.Guid {
			continue
		}
		if strings.EqualFold(o.Name, ad.Name) {
			return r.task.AlreadyExists(ad.DistinguishedName)
		}
		if strings.EqualFold(o.DomainName, ad.DomainName) {
			return r.task.InvalidOperation("DuplicateAcceptedDomainException", "The accepted domain \"%s\" already uses the domain name \"%s\".", o.Identity, o.DomainName)
		}
	}
	return nil
}

func (r *run) findAcceptedDomains(tx state.Tx, arg any, given bool) ([]*state.AcceptedDomain, error) {
	if !given || arg == nil {
		return tx.AcceptedDomains()
	}
	if g := cmdlets.GuidOf(arg); g != "" {
		if ad, err := tx.AcceptedDomain(g); err == nil {
			return []*state.AcceptedDomain{ad}, nil
		}
	}
	text := cmdlets.IdentityText(arg)
	if state.IsGuid(text) {
		ad, err := tx.AcceptedDomain(state.CanonicalGuid(text))
		if err != nil {
			return nil, r.task.NotFound(text)
		}
		return []*state.AcceptedDomain{ad}, nil
	}
	name := text
	if cns, ok := cmdlets.ParseDN(text); ok && len(cns) > 0 {
		name = cns[0]
	}
	if cmdlets.HasWildcard(name) && !strings.HasPrefix(name, "*.") {
		all, err := tx.AcceptedDomains()
		var out []*state.AcceptedDomain
		for _, ad := range all {
			if cmdlets.Like(name, ad.Name) || cmdlets.Like(name, ad.DomainName) {
				out = append(out, ad)
			}
		}
		return out, err
	}
	ad, err := tx.AcceptedDomainByName(name)
	if err != nil {
		return nil, r.task.NotFound(text)
	}
	return []*state.AcceptedDomain{ad}, nil
}

func (r *run) acceptedDomain(tx state.Tx) (*state.AcceptedDomain, error) {
	arg := r.c.Value("Identity")
	ads, err := r.findAcceptedDomains(tx, arg, true)
	if err != nil {
		return nil, err
	}
	return cmdlets.One(r.task, ads, cmdlets.IdentityText(arg))
}
