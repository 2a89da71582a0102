package state

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Two handles on one state.db (the CLI and the controller daemon) write
// services and replicas at once: every read-then-write transaction must
// wait for the other writer, never fail with SQLITE_BUSY.
func TestServiceWritesFromTwoHandles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.CreateService(&Service{Name: "s", Version: 1, CreatedAt: time.Now()}, ServiceVersion{Service: "s", Version: 1}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				if err := b.AllocateReplica("s", &Replica{Version: 1}); err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				if _, err := a.UpdateService("s", func(s *Service) error { s.Message = "x"; return nil }); err != nil {
					errs <- err
				}
				if _, err := a.AddServiceVersion("s", ServiceVersion{}, "rolling"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	svc, _ := a.GetService("s")
	reps, _ := a.ListReplicas("s")
	if svc.NextReplicaID != 100 || len(reps) != 100 || svc.Version != 101 {
		t.Fatalf("next id %d, %d replicas, version %d; want 100, 100, 101 (no lost update)", svc.NextReplicaID, len(reps), svc.Version)
	}
}
