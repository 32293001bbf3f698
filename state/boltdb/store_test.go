package boltdb_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
	"exsh/state/storetest"
)

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) state.Store { return statetest.MustOpen(t) })
}

func ExampleStore_Update() {
	dir, _ := os.MkdirTemp("", "exsh-example")
	defer os.RemoveAll(dir)
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	err = st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "Fabrikam", DomainName: "fabrikam.com", DomainType: "Authoritative"})
	})
	fmt.Println(err)
	err = st.Update(func(tx state.Tx) error {
		return tx.PutAcceptedDomain(&state.AcceptedDomain{Name: "fabrikam", DomainName: "fabrikam.net"})
	})
	fmt.Println(errors.Is(err, state.ErrExists))
	// Output:
	// <nil>
	// true
}
