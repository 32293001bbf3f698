package boltdb_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"exsh/state"
	"exsh/state/boltdb"
	"exsh/state/statetest"
	"exsh/state/storetest"
)

func TestOpenCreatesDataPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	st, err := boltdb.OpenDataPath(dir, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data path mode = %v, want 0700", fi.Mode().Perm())
	}
	if st.Path() != filepath.Join(dir, "exsh.db") {
		t.Errorf("Path = %q", st.Path())
	}
	if err := st.Check(); err != nil {
		t.Errorf("new store: %v", err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exsh.db")
	first := statetest.MustOpenPath(t, path, boltdb.Options{NoSync: true})
	_ = first
	for _, readOnly := range []bool{false, true} {
		start := time.Now()
		st, err := boltdb.Open(path, boltdb.Options{Timeout: 300 * time.Millisecond, ReadOnly: readOnly})
		elapsed := time.Since(start)
		if err == nil {
			st.Close()
			t.Fatalf("ReadOnly=%v: second Open succeeded", readOnly)
		}
		if !errors.Is(err, state.ErrLocked) {
			t.Fatalf("ReadOnly=%v: got %v, want ErrLocked", readOnly, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another exsh process") {
			t.Errorf("message does not name the path and the cause: %v", err)
		}
		if elapsed > 2*time.Second {
			t.Errorf("ReadOnly=%v: took %v to give up", readOnly, elapsed)
		}
	}
	// The default timeout is bounded too.
	start := time.Now()
	if _, err := boltdb.Open(path, boltdb.Options{}); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("default timeout: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("default timeout took %v", elapsed)
	}
}

func TestOpenBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A bbolt file of another program.
	foreign := filepath.Join(dir, "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("widgets"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// A good store with its pages then damaged.
	damaged := filepath.Join(dir, "damaged.db")
	st, err := boltdb.Open(damaged, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, _ := os.ReadFile(damaged)
	for i := 0; i < 2*4096 && i < len(raw); i++ { // both meta pages
		raw[i] ^= 0xA5
	}
	os.WriteFile(damaged, raw, 0o600)

	// A good store cut short.
	truncated := filepath.Join(dir, "truncated.db")
	st, err = boltdb.Open(truncated, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, _ = os.ReadFile(truncated)
	os.WriteFile(truncated, raw[:1000], 0o600)

	// A newer schema.
	newer := filepath.Join(dir, "newer.db")
	st, err = boltdb.Open(newer, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err = bolt.Open(newer, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], boltdb.SchemaVersion+1)
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), v[:])
	})
	db.Close()

	rnd := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 64*1024)
	for i := range garbage {
		garbage[i] = byte(rnd.Uint32())
	}
	tests := []struct {
		name string
		path string
		opts boltdb.Options
		want error
	}{
		{"text file", write("text.db", []byte("this is not a database\n")), boltdb.Options{}, state.ErrCorrupt},
		{"random bytes", write("garbage.db", garbage), boltdb.Options{}, state.ErrCorrupt},
		{"foreign bbolt file", foreign, boltdb.Options{}, state.ErrCorrupt},
		{"foreign bbolt file read-only", foreign, boltdb.Options{ReadOnly: true}, state.ErrCorrupt},
		{"damaged meta pages", damaged, boltdb.Options{}, state.ErrCorrupt},
		{"truncated", truncated, boltdb.Options{}, state.ErrCorrupt},
		{"newer schema", newer, boltdb.Options{}, state.ErrSchemaVersion},
		{"directory", dir, boltdb.Options{}, state.ErrCorrupt},
		{"read-only and missing", filepath.Join(dir, "missing.db"), boltdb.Options{ReadOnly: true}, state.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := boltdb.Open(tt.path, tt.opts)
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestOpenReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exsh.db")
	st, err := boltdb.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutReceiveConnector(storetest.NewConnector("EX01", "Kept"))
	})
	st.Close()
	ro, err := boltdb.Open(path, boltdb.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	statetest.View(t, ro, func(tx state.Tx) error {
		_, err := tx.ReceiveConnectorByName("EX01", "Kept")
		return err
	})
	if err := ro.Update(func(state.Tx) error { return nil }); !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("Update on a read-only store: %v", err)
	}
	if err := ro.Check(); err != nil {
		t.Error(err)
	}
}

func TestOpenUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	_, err := boltdb.Open(filepath.Join(dir, "sub", "exsh.db"), boltdb.Options{})
	if !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("got %v, want ErrReadOnly", err)
	}
}

// crashChildEnv names the store file a re-executed test binary writes to
// until it is killed.
const crashChildEnv = "EXSH_BOLTDB_CRASH_CHILD"

// TestCrashChild is the child half of TestCrashConsistency; on its own it
// does nothing.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("run by TestCrashConsistency")
	}
	st, err := boltdb.Open(path, boltdb.Options{}) // fsync on: real commits
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	start := 0
	st.View(func(tx state.Tx) error {
		if rc, err := tx.ReceiveConnectorByName("EX01", "Counter"); err == nil {
			start = rc.MaxRecipientsPerMessage
		}
		return nil
	})
	for i := start; ; i++ {
		// Each Update changes a connector, adds a recipient and an
		// ADPermission, and deletes an older recipient: all or nothing.
		err := st.Update(func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX01", "Counter")
			if errors.Is(err, state.ErrNotFound) {
				rc = storetest.NewConnector("EX01", "Counter")
			} else if err != nil {
				return err
			}
			rc.MaxRecipientsPerMessage = i + 1
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
			if err := tx.PutRecipient(storetest.NewMailbox(fmt.Sprintf("User %d", i), fmt.Sprintf("user%d", i))); err != nil {
				return err
			}
			if err := tx.PutADPermission(&state.ADPermission{ConnectorGuid: rc.Guid, User: fmt.Sprintf(`CONTOSO\user%d`, i), ExtendedRights: []string{state.RightSubmit}}); err != nil {
				return err
			}
			if i >= 10 {
				old, err := tx.RecipientByName(fmt.Sprintf("User %d", i-10))
				if err != nil {
					return err
				}
				return tx.DeleteRecipient(old.Guid)
			}
			return nil
		})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("committed", i)
	}
}

func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "exsh.db")
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill the child at a random point after some commits, in the
		// middle of its next Update.
		target := 20 + rand.IntN(40)
		sc := bufio.NewScanner(out)
		last := -1
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %s", line)
			}
			if n, ok := strings.CutPrefix(line, "committed "); ok {
				last, _ = strconv.Atoi(n)
				if last >= target {
					time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
					break
				}
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		if last < 0 {
			t.Fatal("the child committed nothing")
		}

		st, err := boltdb.Open(path, boltdb.Options{})
		if err != nil {
			t.Fatalf("round %d: reopening after a kill: %v", round, err)
		}
		if err := st.Check(); err != nil {
			t.Fatalf("round %d: inconsistent after a kill:\n%v", round, err)
		}
		// Every committed Update is there, as a whole.
		statetest.View(t, st, func(tx state.Tx) error {
			rc, err := tx.ReceiveConnectorByName("EX01", "Counter")
			if err != nil {
				return err
			}
			n := rc.MaxRecipientsPerMessage // updates committed in all rounds
			perms, err := tx.ADPermissions(rc.Guid)
			if err != nil {
				return err
			}
			if len(perms) != n {
				t.Errorf("round %d: %d updates but %d ADPermission entries", round, n, len(perms))
			}
			rs, err := tx.Recipients()
			if err != nil {
				return err
			}
			if want := min(n, 10); len(rs) != want {
				t.Errorf("round %d: %d recipients, want %d", round, len(rs), want)
			}
			return nil
		})
		st.Close()
	}
}

// Readers never see a half-applied Update: every Update rewrites all
// connectors with one generation number in Comment, and deletes and
// re-creates one.
func TestReadersWhileWriting(t *testing.T) {
	st := statetest.MustOpenSetUp(t)
	const conns = 20
	statetest.Update(t, st, func(tx state.Tx) error {
		for i := 0; i < conns; i++ {
			rc := storetest.NewConnector("EX01", fmt.Sprintf("Load %02d", i))
			rc.Comment = "0"
			if err := tx.PutReceiveConnector(rc); err != nil {
				return err
			}
		}
		return nil
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0
			for {
				select {
				case <-stop:
					if seen == 0 {
						errs <- errors.New("a reader saw nothing")
					}
					return
				default:
				}
				err := st.View(func(tx state.Tx) error {
					all, err := tx.ReceiveConnectors()
					if err != nil {
						return err
					}
					gen := ""
					n := 0
					for _, rc := range all {
						if !strings.HasPrefix(rc.Name, "Load ") {
							continue
						}
						n++
						if gen == "" {
							gen = rc.Comment
						} else if rc.Comment != gen {
							return fmt.Errorf("mixed generations %s and %s", gen, rc.Comment)
						}
					}
					if n != conns {
						return fmt.Errorf("saw %d load connectors, want %d", n, conns)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				seen++
			}
		}()
	}
	for gen := 1; gen <= 100; gen++ {
		statetest.Update(t, st, func(tx state.Tx) error {
			all, err := tx.ReceiveConnectors()
			if err != nil {
				return err
			}
			for _, rc := range all {
				if !strings.HasPrefix(rc.Name, "Load ") {
					continue
				}
				rc.Comment = strconv.Itoa(gen)
				if rc.Name == fmt.Sprintf("Load %02d", gen%conns) {
					if err := tx.DeleteReceiveConnector(rc.Guid); err != nil {
						return err
					}
					rc.Guid = ""
				}
				if err := tx.PutReceiveConnector(rc); err != nil {
					return err
				}
			}
			return nil
		})
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A file at schema version 0 (marked as an exsh store, no organisation
// buckets yet) is migrated to the current version on Open.
func TestOpenMigrates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exsh.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("format"), []byte("exsh organisation store")); err != nil {
			return err
		}
		return meta.Put([]byte("schema"), make([]byte, 8))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boltdb.Open(path, boltdb.Options{ReadOnly: true}); !errors.Is(err, state.ErrReadOnly) {
		t.Errorf("read-only open of an old schema: %v", err)
	}
	st := statetest.MustOpenPath(t, path, boltdb.Options{NoSync: true})
	statetest.Update(t, st, func(tx state.Tx) error {
		return tx.PutReceiveConnector(storetest.NewConnector("EX01", "After migration"))
	})
	db = st.DB()
	db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte("meta")).Get([]byte("schema"))
		if got := binary.BigEndian.Uint64(v); got != boltdb.SchemaVersion {
			t.Errorf("schema after Open = %d, want %d", got, boltdb.SchemaVersion)
		}
		return nil
	})
}
