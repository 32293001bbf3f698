package state

import (
	"strings"
	"testing"
)

func TestNormalizeConnectorACL(t *testing.T) {
	anon := func(deny bool, rights ...string) *ADPermission {
		return &ADPermission{User: PrincipalAnonymous, Deny: deny, ExtendedRights: rights, Guid: strings.Join(rights, "+")}
	}
	for _, tt := range []struct {
		name     string
		groups   Flags
		explicit []*ADPermission
		want     string
		put, del []string
	}{
		{"group duplicates go", Flags{"AnonymousUsers"},
			[]*ADPermission{anon(false, RightAcceptAnySender), anon(false, RightAcceptHeadersRouting)},
			"AnonymousUsers", nil, []string{RightAcceptAnySender, RightAcceptHeadersRouting}},
		{"an extra right is Custom", Flags{"AnonymousUsers"},
			[]*ADPermission{anon(false, RightAcceptAnyRecipient)},
			"AnonymousUsers, Custom", nil, nil},
		{"an entry keeps its extra right", Flags{"AnonymousUsers"},
			[]*ADPermission{anon(false, RightSubmit, RightAcceptAnyRecipient)},
			"AnonymousUsers, Custom", []string{RightAcceptAnyRecipient}, nil},
		{"explicit rights forming a group become it", Flags{},
			[]*ADPermission{anon(false, RightSubmit), anon(false, RightAcceptAnySender), anon(false, RightAcceptAuthoritativeDomainSender), anon(false, RightAcceptHeadersRouting)},
			"AnonymousUsers", nil, []string{RightSubmit, RightAcceptAnySender, RightAcceptAuthoritativeDomainSender, RightAcceptHeadersRouting}},
		{"part of a group stays Custom", Flags{"ExchangeServers", "Custom"},
			[]*ADPermission{anon(false, RightAcceptAnySender)},
			"ExchangeServers, Custom", nil, nil},
		{"no entries left is no Custom", Flags{"ExchangeServers", "Custom"}, nil, "ExchangeServers", nil, nil},
		{"a deny is Custom", Flags{"AnonymousUsers"}, []*ADPermission{anon(true, RightSubmit)}, "AnonymousUsers, Custom", nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rc := &ReceiveConnector{PermissionGroups: tt.groups}
			groups, put, del := NormalizeConnectorACL(rc, tt.explicit, "CONTOSO")
			if groups.String() != tt.want {
				t.Errorf("groups %s, want %s", groups, tt.want)
			}
			var gotPut []string
			for _, p := range put {
				gotPut = append(gotPut, strings.Join(p.ExtendedRights, ","))
			}
			if strings.Join(gotPut, ";") != strings.Join(tt.put, ";") {
				t.Errorf("put %v, want %v", gotPut, tt.put)
			}
			if strings.Join(del, ";") != strings.Join(tt.del, ";") {
				t.Errorf("deleted %v, want %v", del, tt.del)
			}
		})
	}
}
