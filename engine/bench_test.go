package engine_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"exsh/engine/enginetest"
	"exsh/state"
)

var kilobyte = []byte("Subject: bench\r\n\r\n" + strings.Repeat(strings.Repeat("x", 62)+"\r\n", 16))

// BenchmarkDefaultFrontend: concurrent sessions each sending 1 KB
// messages over one connection to Default Frontend, proxied to the hub.
func BenchmarkDefaultFrontend(b *testing.B) {
	e := enginetest.Start(b, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxInboundConnectionPerSource = state.Unlimited
		return tx.PutReceiveConnector(rc)
	}})
	addr := e.Addr(25)
	b.SetBytes(int64(len(kilobyte)))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c, err := smtp.Dial(addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		if err := c.Hello("bench"); err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := c.SendMail("bench@fabrikam.com", []string{"administrator@contoso.com"}, bytes.NewReader(kilobyte)); err != nil {
				b.Error(err)
				return
			}
		}
		c.Quit()
	})
}

// BenchmarkConnectionPerMessage opens one session per 1 KB message.
func BenchmarkConnectionPerMessage(b *testing.B) {
	e := enginetest.Start(b, enginetest.Options{Prepare: func(tx state.Tx) error {
		rc, err := tx.ReceiveConnectorByName("EX01", "Default Frontend EX01")
		if err != nil {
			return err
		}
		rc.MaxInboundConnectionPerSource = state.Unlimited
		return tx.PutReceiveConnector(rc)
	}})
	addr := e.Addr(25)
	b.SetBytes(int64(len(kilobyte)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := smtp.Dial(addr)
			if err != nil {
				b.Error(err)
				return
			}
			c.Hello("bench")
			if err := c.SendMail("bench@fabrikam.com", []string{"administrator@contoso.com"}, bytes.NewReader(kilobyte)); err != nil {
				b.Error(err)
			}
			c.Quit()
		}
	})
}
