package state

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestMain lets the test binary act as a second skyplan process that takes
// a lock and holds it (STATE_HOLD_LOCK=dbpath).
func TestMain(m *testing.M) {
	if db := os.Getenv("STATE_HOLD_LOCK"); db != "" {
		s, err := Open(db)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(2)
		}
		if _, err := s.Lock("c1", "apply"); err != nil {
			fmt.Println("lock:", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		time.Sleep(30 * time.Second) // killed by the parent long before
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestClusterRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	if _, err := s.GetCluster("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	c := &Cluster{Name: "c1", Status: StatusInit, Cloud: "aws", Region: "us-east-1", NumNodes: 2,
		Nodes: []Node{{Rank: 0, InstanceID: "i-1", PrivateIP: "10.0.0.1"}}}
	if err := s.PutCluster(c); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus("c1", StatusUp); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCluster("c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != StatusUp || !got.EverUp || got.Nodes[0].InstanceID != "i-1" || got.Region != "us-east-1" {
		t.Errorf("round trip lost data: %+v", got)
	}
	list, _ := s.ListClusters()
	if len(list) != 1 {
		t.Fatalf("list = %d", len(list))
	}
	if err := s.DeleteCluster("c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCluster("c1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted cluster still there: %v", err)
	}
}

func TestLaunchCost(t *testing.T) {
	s, _ := openTemp(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.StartLaunch("c1", "2x(p3.2xlarge)", 6.12, start); err != nil {
		t.Fatal(err)
	}
	if err := s.EndLaunch("c1", "TERMINATED", start.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ls, err := s.ListLaunches()
	if err != nil || len(ls) != 1 {
		t.Fatal(ls, err)
	}
	if got := ls[0].Cost(time.Now()); got < 9.179 || got > 9.181 {
		t.Errorf("cost = %v, want 6.12 × 1.5 h = 9.18", got)
	}
}

func TestAttemptsAndJobs(t *testing.T) {
	s, _ := openTemp(t)
	s.AddAttempt(Attempt{Cluster: "c", Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", Class: "capacity", Reason: "InsufficientInstanceCapacity", At: time.Now()})
	s.AddAttempt(Attempt{Cluster: "c", Cloud: "aws", Region: "us-east-2", Class: "ok", At: time.Now()})
	as, _ := s.ListAttempts("c")
	if len(as) != 2 || as[0].Zone != "us-east-1a" || as[1].Region != "us-east-2" {
		t.Errorf("attempts = %+v", as)
	}
	s.PutJob(Job{Cluster: "c", ID: 1, Name: "train", Status: "RUNNING", SubmittedAt: time.Now()})
	now := time.Now()
	s.PutJob(Job{Cluster: "c", ID: 1, Name: "train", Status: "SUCCEEDED", SubmittedAt: now, EndedAt: &now})
	js, _ := s.ListJobs("c")
	if len(js) != 1 || js[0].Status != "SUCCEEDED" || js[0].EndedAt == nil {
		t.Errorf("jobs = %+v", js)
	}
}

func TestConcurrentWriters(t *testing.T) {
	_, path := openTemp(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := Open(path) // separate handle, as a second process would have
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for j := 0; j < 20; j++ {
				if err := s.PutCluster(&Cluster{Name: fmt.Sprintf("c%d-%d", i, j), Status: StatusInit}); err != nil {
					errs <- err
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s, _ := Open(path)
	defer s.Close()
	if list, _ := s.ListClusters(); len(list) != 160 {
		t.Errorf("clusters = %d, want 160", len(list))
	}
}

func TestLockAcrossProcesses(t *testing.T) {
	s, path := openTemp(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATE_HOLD_LOCK="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 64)
	n, _ := out.Read(buf) // blocks until the child printed "locked"
	if string(buf[:n]) != "locked\n" {
		t.Fatalf("child said %q", buf[:n])
	}
	if _, err := s.Lock("c1", "apply"); !errors.Is(err, ErrLocked) {
		t.Fatalf("second process took a held lock: %v", err)
	}
	// A different cluster is independent.
	rel, err := s.Lock("c2", "apply")
	if err != nil {
		t.Fatal(err)
	}
	rel()
	// Once the holder is gone its lock is stale and can be taken over.
	cmd.Process.Kill()
	cmd.Wait()
	rel, stale, err := s.LockReport("c1", "down")
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	if want := fmt.Sprintf("Cleared a stale lock on c1: its holder (apply, pid %d) no longer runs.", cmd.Process.Pid); stale != want {
		t.Errorf("stale-lock message %q, want %q", stale, want)
	}
	if err := rel(); err != nil {
		t.Fatal(err)
	}
}

// Retired attempts survive a reopen (another process finishes them) and
// are listed oldest first, per cluster.
func TestRetiredRowsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	for i, r := range []Retired{
		{Cluster: "c", ID: "b", Dir: "/x/b", Cloud: "aws", Region: "us-east-2", Class: "capacity", At: t0.Add(time.Second)},
		{Cluster: "c", ID: "a", Dir: "/x/a", Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", Class: "quota", At: t0},
		{Cluster: "d", ID: "a", Dir: "/y/a", Cloud: "aws", Region: "us-west-2", At: t0},
	} {
		if err := s.AddRetired(r); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	if err := s.AddRetired(Retired{Cluster: "c", ID: "a", At: t0}); err == nil {
		t.Fatal("a second row with the same id was accepted")
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ListRetired("c")
	if err != nil || len(got) != 2 || got[0].ID != "a" || got[0].Zone != "us-east-1a" || got[0].Class != "quota" || got[1].Dir != "/x/b" || !got[0].At.Equal(t0) {
		t.Fatalf("rows %+v %v", got, err)
	}
	if err := s.DeleteRetired("c", "a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListRetired("c"); len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("after delete: %+v", got)
	}
	if got, _ := s.ListRetired("d"); len(got) != 1 {
		t.Fatalf("other cluster: %+v", got)
	}
}
