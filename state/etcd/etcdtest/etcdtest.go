// Package etcdtest starts embedded etcd members on free loopback ports
// and opens organisation stores on them for tests.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/etcd"
)

// FreeURL is an http URL on a free loopback port.
func FreeURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// StartMembers starts a cluster of n members (EX01, EX02, ...) on free
// loopback ports, each with its data directory in a temporary path,
// and closes them at the test's cleanup.
func StartMembers(t testing.TB, n int) []*etcd.Member {
	t.Helper()
	// A free port can be taken by another socket between FreeURL and
	// the member's bind (a busy machine's outgoing connections use the
	// same range): the cluster then starts again on other ports.
	for attempt := 1; ; attempt++ {
		members, err := startMembers(t, n)
		if err == nil {
			return members
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("starting the etcd members again: %v", err)
	}
}

func startMembers(t testing.TB, n int) ([]*etcd.Member, error) {
	cfgs := make([]etcd.MemberConfig, n)
	var initial []string
	for i := range cfgs {
		name := fmt.Sprintf("EX%02d", i+1)
		cfgs[i] = etcd.MemberConfig{Name: name, Dir: filepath.Join(t.TempDir(), "etcd"), ClientURL: FreeURL(t), PeerURL: FreeURL(t)}
		initial = append(initial, name+"="+cfgs[i].PeerURL)
	}
	members := make([]*etcd.Member, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range cfgs {
		cfgs[i].InitialCluster = strings.Join(initial, ",")
		wg.Add(1)
		go func() { // a member is ready only once a majority is up
			defer wg.Done()
			members[i], errs[i] = etcd.StartMember(cfgs[i])
		}()
	}
	wg.Wait()
	var first error
	for i, err := range errs {
		if err != nil && (first == nil || strings.Contains(err.Error(), "address already in use")) {
			first = err
		}
		if members[i] != nil {
			t.Cleanup(members[i].Close)
		}
	}
	if first != nil {
		for _, m := range members {
			if m != nil {
				m.Close()
			}
		}
		return nil, first
	}
	return members, nil
}

// Open opens a store on member m with its replica in the bbolt file of
// data path dir, keyed as opts says; at cleanup the replica's consistency
// is checked and the store closed.
func Open(t testing.TB, m *etcd.Member, dir string, opts etcd.Options) *etcd.Store {
	t.Helper()
	local, err := boltdb.Open(filepath.Join(dir, boltdb.FileName), boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := m.Client()
	if err != nil {
		local.Close()
		t.Fatal(err)
	}
	st, err := etcd.Open(local, cli, opts)
	if err != nil {
		cli.Close()
		local.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Check(); err != nil && !errors.Is(err, state.ErrClosed) {
			t.Errorf("replica %s is inconsistent at cleanup:\n%v", st.Path(), err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return st
}
