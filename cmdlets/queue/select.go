package queue

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"exsh/cmdlets"
	"exsh/cmdlets/opath"
	"exsh/shell/interp"
	"exsh/shell/object"
)

// filterText returns -Filter as a string: a script block's text or the
// string given.
func filterText(v any) string {
	if sb, ok := v.(*interp.ScriptBlock); ok {
		return sb.String()
	}
	return object.ToString(v)
}

// compileFilter parses -Filter against the properties of sample (an object
// of the kind being filtered). The error is Exchange's parameter binding
// error.
func (r *run) compileFilter(sample *object.PSObject) (*opath.Filter, error) {
	if !r.c.Has("Filter") {
		return nil, nil
	}
	f, err := opath.Parse(filterText(r.c.Value("Filter")))
	if err == nil {
		var known []string
		for _, p := range sample.Properties() {
			known = append(known, p.Name)
		}
		err = f.Check(known)
	}
	if err != nil {
		e := interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
			"CannotConvertArgumentNoMessage,"+r.c.Info.Name, "", "%s", opath.BindMessage("Filter", err))
		e.Exception = err
		return nil, e
	}
	return f, nil
}

// resultSize reads -ResultSize: a positive number or Unlimited (-1).
// Without it the limit is 1000.
func (r *run) resultSize() (int, error) {
	if !r.c.Has("ResultSize") {
		return 1000, nil
	}
	s := strings.TrimSpace(object.ToString(r.c.Value("ResultSize")))
	if strings.EqualFold(s, "unlimited") {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, r.task.InvalidArgument("Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value \"%s\" to type \"Microsoft.Exchange.Data.Unlimited`1[System.UInt32]\". Error: \"The value must be a positive number or Unlimited.\"", s)
	}
	return n, nil
}

func resultSizeParam() *interp.ParamInfo {
	return &interp.ParamInfo{Name: "ResultSize", Kind: interp.KindString, Position: -1, Default: "1000",
		Help: "Specifies the maximum number of results to return: a number, or Unlimited."}
}

// sortKey is one element of -SortOrder.
type sortKey struct {
	prop string
	desc bool
}

// parseSortOrder reads -SortOrder: "+Status,-MessageCount", "Identity".
// Properties must exist on sample.
func (r *run) parseSortOrder(sample *object.PSObject) ([]sortKey, error) {
	var keys []sortKey
	for _, part := range r.c.Strings("SortOrder") {
		for _, p := range strings.Split(part, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			k := sortKey{}
			switch p[0] {
			case '+':
				p = strings.TrimSpace(p[1:])
			case '-':
				k.desc = true
				p = strings.TrimSpace(p[1:])
			}
			prop := sample.Property(p)
			if prop == nil {
				return nil, interp.NewError(cmdlets.CategoryInvalidArgument, cmdlets.ReasonParameterBind,
					"CannotConvertArgumentNoMessage,"+r.c.Info.Name, "",
					"Cannot bind parameter 'SortOrder' to the target. Exception setting \"SortOrder\": \"%q is not a recognized sortable property. For a list of recognized sortable properties, see the command help.\"", p)
			}
			k.prop = prop.Name
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// sortObjects orders objects by keys (stable: ties keep Identity order).
func sortObjects(objs []*object.PSObject, keys []sortKey) {
	if len(keys) == 0 {
		return
	}
	sort.SliceStable(objs, func(i, j int) bool {
		for _, k := range keys {
			a, _ := objs[i].Get(k.prop)
			b, _ := objs[j].Get(k.prop)
			c := compareValues(a, b)
			if c == 0 {
				continue
			}
			if k.desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

// compareValues orders two property values: $null first, numbers as
// numbers, everything else as case-insensitive text.
func compareValues(a, b any) int {
	if c, err := object.Compare(a, b, false); err == nil {
		return c
	}
	return object.CompareStrings(fmt.Sprint(a), fmt.Sprint(b), false)
}

// queue classes for -Include/-Exclude.
var externalTypes = map[string]bool{
	"deliveryagent": true, "dnsconnectordelivery": true, "nonsmtpgatewaydelivery": true, "smarthostconnectordelivery": true,
}

// queueClassValues are the accepted -Include/-Exclude values.
var queueClassValues = []string{"Internal", "External", "Empty",
	"Undefined", "Unreachable", "SmtpDeliveryToMailbox", "DnsConnectorDelivery", "SmartHostConnectorDelivery",
	"SmtpRelayToRemoteAdSite", "SmtpRelayToDag", "SmtpRelayToConnectorSourceServers", "SmtpRelayToServers",
	"SmtpRelayToMailboxDeliveryGroup", "SmtpRelayWithinAdSiteToEdge", "DeliveryAgent", "NonSmtpGatewayDelivery",
	"ShadowRedundancy", "Heartbeat", "SmtpDeliveryToExo", "SmtpRelayToRemoteForest", "MapiDelivery",
	"SmtpRelayToTiRg", "SmtpRelayWithinAdSite"}

// inClass reports whether a queue object is of a -Include/-Exclude class.
func inClass(o *object.PSObject, class string) bool {
	dt, _ := o.Get("DeliveryType")
	deliveryType := strings.ToLower(object.ToString(dt))
	switch strings.ToLower(class) {
	case "external":
		return externalTypes[deliveryType]
	case "internal":
		return !externalTypes[deliveryType]
	case "empty":
		n, _ := o.Get("MessageCount")
		c, _ := object.ToInt(n)
		return c == 0
	}
	return strings.EqualFold(class, deliveryType)
}

// includeExclude applies -Include and -Exclude to queue objects.
func (r *run) includeExclude(objs []*object.PSObject) []*object.PSObject {
	inc, exc := splitValues(r.c.Strings("Include")), splitValues(r.c.Strings("Exclude"))
	if len(inc) == 0 && len(exc) == 0 {
		return objs
	}
	var out []*object.PSObject
	for _, o := range objs {
		keep := len(inc) == 0
		for _, c := range inc {
			if inClass(o, c) {
				keep = true
				break
			}
		}
		for _, c := range exc {
			if inClass(o, c) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, o)
		}
	}
	return out
}

// splitValues splits comma lists inside array arguments ("Internal,Empty").
func splitValues(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
