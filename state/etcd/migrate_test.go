package etcd_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"exsh/state"
	"exsh/state/etcd"
	"exsh/state/etcd/etcdtest"
	"exsh/state/statetest"
)

// An organisation whose transport service records an older server wrote
// keyed by kind alone gets them keyed by its server when a server opens
// it, in etcd, so every server reads them.
func TestOpenMigratesTransportServices(t *testing.T) {
	m := etcdtest.StartMembers(t, 1)[0]
	prefix := newPrefix()
	first := openOn(t, m, prefix)
	statetest.SetUp(t, first)
	var hub *state.TransportService
	statetest.View(t, first, func(tx state.Tx) error {
		var err error
		hub, err = tx.TransportService("EX01", "Hub")
		return err
	})
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// Rewrite the records in etcd the way the older server kept them.
	cli, err := m.Client()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bucket := prefix + "k/org.transportservices\x00"
	if _, err := cli.Delete(ctx, bucket, clientv3.WithPrefix()); err != nil {
		t.Fatal(err)
	}
	hub.MessageRetryInterval = time.Minute
	raw, err := json.Marshal(hub)
	if err != nil {
		t.Fatal(err)
	}
	var old map[string]any
	_ = json.Unmarshal(raw, &old)
	delete(old, "Server")
	raw, _ = json.Marshal(old)
	if _, err := cli.Put(ctx, bucket+"hub", string(raw)); err != nil {
		t.Fatal(err)
	}

	st := openOn(t, m, prefix)
	statetest.View(t, st, func(tx state.Tx) error {
		ts, err := tx.TransportService("EX01", "Hub")
		if err != nil {
			t.Fatalf("EX01's Hub after the migration: %v", err)
		}
		if ts.Server != "EX01" || ts.MessageRetryInterval != time.Minute || ts.Guid != hub.Guid {
			t.Errorf("EX01's Hub after the migration = %+v", ts)
		}
		return nil
	})
	resp, err := cli.Get(ctx, bucket, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Key) != bucket+"ex01\x00hub" {
		var keys []string
		for _, kv := range resp.Kvs {
			keys = append(keys, string(kv.Key))
		}
		t.Errorf("etcd's transport service keys after the migration: %q", keys)
	}
	// Another server opening it later finds it done.
	other := etcdtest.Open(t, m, t.TempDir(), etcd.Options{Prefix: prefix})
	statetest.View(t, other, func(tx state.Tx) error {
		_, err := tx.TransportService("ex01", "hub")
		return err
	})
}
