package provision

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func stateDoc(serial int, ids ...string) string {
	var res []string
	for i, id := range ids {
		res = append(res, `{"mode":"managed","type":"aws_vpc","name":"v`+string(rune('a'+i))+`","instances":[{"attributes":{"id":"`+id+`"}}]}`)
	}
	return `{"version":4,"terraform_version":"1.11.4","serial":` + string(rune('0'+serial)) + `,"lineage":"l-1","outputs":{},"resources":[` + strings.Join(res, ",") + `]}`
}

func repairWorkspace(t *testing.T) *Workspace {
	t.Helper()
	tc, _ := fakeToolchain(t, nil)
	ws, err := tc.Workspace(t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// A state file a kill -9 cut short is moved aside (bytes kept) and the
// newest valid backup takes its place, saying so.
func TestRepairStateRestoresNewestBackup(t *testing.T) {
	for _, broken := range []string{"", `{"version":4,"serial":7,"lineage":"l-1","resources":[{"mode":"man`} {
		ws := repairWorkspace(t)
		p := func(n string) string { return filepath.Join(ws.Dir, n) }
		os.WriteFile(p(stateFile), []byte(broken), 0o644)
		os.WriteFile(p(tfBackupFile), []byte(stateDoc(3, "vpc-old")), 0o644)
		os.WriteFile(p(skyBackupFile), []byte(stateDoc(5, "vpc-new")), 0o644)
		var log bytes.Buffer
		rep, err := ws.RepairState(&log)
		if err != nil {
			t.Fatal(err)
		}
		if rep.RestoredFrom != skyBackupFile || rep.MovedAside == "" {
			t.Fatalf("repair %+v", rep)
		}
		if b, _ := os.ReadFile(rep.MovedAside); string(b) != broken {
			t.Errorf("the broken state was not kept as it was")
		}
		if b, _ := os.ReadFile(p(stateFile)); !strings.Contains(string(b), "vpc-new") {
			t.Errorf("state not restored from the newest backup: %s", b)
		}
		want := "is empty (0 bytes)"
		if broken != "" {
			want = "is unreadable"
		}
		if !strings.Contains(log.String(), want) || !strings.Contains(log.String(), "restored "+skyBackupFile+" (serial 5)") {
			t.Errorf("message: %s", log.String())
		}
	}
}

func TestRepairStateWithoutBackupAndWhenHealthy(t *testing.T) {
	ws := repairWorkspace(t)
	sp := filepath.Join(ws.Dir, stateFile)
	os.WriteFile(sp, nil, 0o644)
	var log bytes.Buffer
	rep, err := ws.RepairState(&log)
	if err != nil || rep.MovedAside == "" || rep.RestoredFrom != "" {
		t.Fatalf("repair %+v %v", rep, err)
	}
	if _, err := os.Stat(sp); !os.IsNotExist(err) {
		t.Errorf("a 0-byte state without backup must be moved aside, not kept")
	}
	if !strings.Contains(log.String(), "tag sweep will find what exists") {
		t.Errorf("message: %s", log.String())
	}
	// A healthy state is left alone and backed up before a run.
	os.WriteFile(sp, []byte(stateDoc(2, "vpc-1")), 0o644)
	log.Reset()
	if rep, err := ws.RepairState(&log); err != nil || rep.Changed() || log.Len() > 0 {
		t.Fatalf("healthy state repaired: %+v %v %s", rep, err, log.String())
	}
	if err := ws.backupState(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(ws.Dir, skyBackupFile)); !strings.Contains(string(b), "vpc-1") {
		t.Errorf("no backup of the healthy state")
	}
	// A broken state never overwrites a good backup.
	os.WriteFile(sp, []byte("{"), 0o644)
	_ = ws.backupState()
	if b, _ := os.ReadFile(filepath.Join(ws.Dir, skyBackupFile)); !strings.Contains(string(b), "vpc-1") {
		t.Errorf("the backup was overwritten by a broken state")
	}
}

// The lock-info file of a dead terraform is removed with a message; the
// lock of a live process (a POSIX record lock on the state file, as
// Terraform's local backend takes it) is left alone.
func TestStaleTerraformLockCleared(t *testing.T) {
	ws := repairWorkspace(t)
	sp := filepath.Join(ws.Dir, stateFile)
	info := filepath.Join(ws.Dir, lockInfoFile)
	os.WriteFile(sp, []byte(stateDoc(1, "vpc-1")), 0o644)
	os.WriteFile(info, []byte(`{"ID":"abc-123","Operation":"OperationTypeApply","Who":"root@vm","Created":"2026-12-01T10:00:00Z"}`), 0o644)

	// A live holder: a child process takes the lock and keeps it.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LEAKS_HOLD_FCNTL="+sp)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("holder said %q", line)
	}
	var log bytes.Buffer
	if rep, err := ws.RepairState(&log); err != nil || rep.StaleLock != "" {
		t.Errorf("a live lock was cleared: %+v %v", rep, err)
	}
	if _, err := os.Stat(info); err != nil {
		t.Errorf("lock info of a live holder removed")
	}
	cmd.Process.Kill()
	cmd.Wait()

	rep, err := ws.RepairState(&log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.StaleLock, "Cleared a stale Terraform state lock") || !strings.Contains(log.String(), "abc-123") {
		t.Errorf("stale lock not reported: %+v / %s", rep, log.String())
	}
	if _, err := os.Stat(info); !os.IsNotExist(err) {
		t.Errorf("stale lock info still there")
	}
}

// holdFcntlLock is the child of TestStaleTerraformLockCleared.
func holdFcntlLock(path string) int {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 2
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		return 3
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(30 * time.Second) // killed by the parent long before
	return 0
}
