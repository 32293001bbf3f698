package org

import "testing"

func TestServiceFlags(t *testing.T) {
	tests := []struct{ services, want string }{
		{"SMTP", "....S.."},
		{"IMAP, POP, IIS, SMTP", "IP.WS.."},
		{"IIS, SMTP", "...WS.."},
		{"None", "......."},
		{"", "......."},
		{"smtp, Federation, UMCallRouter, UM", "..U.SFC"},
	}
	for _, tt := range tests {
		if got := serviceFlags(tt.services); got != tt.want {
			t.Errorf("serviceFlags(%q) = %q, want %q", tt.services, got, tt.want)
		}
	}
}
