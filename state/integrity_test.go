package state

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A state.db that is not a complete database is refused with a fix, and
// its bytes are left exactly as they were.
func TestOpenRefusesBrokenDatabase(t *testing.T) {
	good, goodPath := openTemp(t)
	if err := good.PutCluster(&Cluster{Name: "c1", Status: StatusUp}); err != nil {
		t.Fatal(err)
	}
	good.Close()
	full, err := os.ReadFile(goodPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		data   []byte
		reason string
	}{
		{"zero-bytes", nil, "is empty (0 bytes"},
		{"garbage", []byte("this is not a database at all, just some text a tool wrote here\n"), "is not an SQLite database"},
		{"short-header", full[:40], "shorter than the SQLite header"},
		{"truncated", full[:len(full)/2], "is truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err == nil {
				s.Close()
				t.Fatal("opened a broken state.db")
			}
			var ce *CorruptDBError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("error %q, want a CorruptDBError saying %q", err, tc.reason)
			}
			for _, fix := range []string{"mv " + path + " " + path + ".broken", "skyplan down NAME -y", "skyplan state rebuild", "will not use or overwrite it"} {
				if !strings.Contains(err.Error(), fix) {
					t.Errorf("error lacks the fix %q:\n%s", fix, err)
				}
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, tc.data) {
				t.Errorf("state.db was changed: %d bytes → %d", len(tc.data), len(after))
			}
		})
	}
}

// One corrupt record is named and listed as CORRUPT; the others still list.
func TestCorruptRecordIsNamed(t *testing.T) {
	s, _ := openTemp(t)
	for _, n := range []string{"a", "b"} {
		if err := s.PutCluster(&Cluster{Name: n, Status: StatusUp}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Exec(`UPDATE clusters SET data='{"name": "b", trunc' WHERE name='b'`); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListClusters()
	if err != nil {
		t.Fatalf("one corrupt row broke the listing: %v", err)
	}
	if len(all) != 2 || all[0].Status != StatusUp || all[1].Name != "b" || all[1].Status != StatusCorrupt || all[1].Extra["corrupt"] == "" {
		t.Fatalf("listing: %+v %+v", all[0], all[1])
	}
	_, err = s.GetCluster("b")
	if !errors.Is(err, ErrCorruptRecord) || !strings.Contains(err.Error(), "skyplan down --purge b") {
		t.Fatalf("GetCluster of the corrupt row: %v", err)
	}
	if err := s.DeleteCluster("b"); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.ListClusters(); len(all) != 1 {
		t.Fatalf("corrupt row not removed: %d clusters", len(all))
	}
}

// Processes that open a state.db that does not exist yet, at the same
// moment, all get the same working database: none sees the half-created
// file and calls it corrupt (CI saw this with two concurrent applies).
func TestOpenConcurrentFirstUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		path := filepath.Join(t.TempDir(), "state.db")
		const n = 8
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			go func(i int) {
				<-start
				s, err := Open(path)
				if err == nil {
					err = s.PutCluster(&Cluster{Name: fmt.Sprintf("c%d", i), Status: StatusUp})
					s.Close()
				}
				errs <- err
			}(i)
		}
		close(start)
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: concurrent first open: %v", round, err)
			}
		}
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := s.ListClusters()
		s.Close()
		if err != nil || len(cs) != n {
			t.Fatalf("round %d: %d clusters recorded (%v), want %d", round, len(cs), err, n)
		}
		left, _ := filepath.Glob(path + ".new-*")
		if len(left) != 0 {
			t.Fatalf("temporary databases left behind: %v", left)
		}
	}
}
