package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/skyplan/skyplan/skyhome"
)

// Local Terraform state survives a kill -9 of skyplan and terraform:
//   - before each apply or destroy, skyplan copies a valid state to
//     terraform.tfstate.skyplan-backup (Terraform keeps its own
//     terraform.tfstate.backup of the state before its latest run);
//   - a 0-byte, truncated or unreadable terraform.tfstate (Terraform was
//     killed while rewriting it) is moved aside, never deleted, and the
//     newest valid backup takes its place; what the backup lacks is found
//     by the tag sweep and removed;
//   - a lock-info file left by a terraform that no longer runs is removed,
//     with a message (the local backend's lock is an flock on the state
//     file, which the kernel released when the process died).

const (
	stateFile     = "terraform.tfstate"
	tfBackupFile  = "terraform.tfstate.backup"
	skyBackupFile = "terraform.tfstate.skyplan-backup"
	lockInfoFile  = ".terraform.tfstate.lock.info"
)

// StateRepair says what RepairState did.
type StateRepair struct {
	// MovedAside is where an unreadable state file went ("" if none).
	MovedAside string
	// RestoredFrom is the backup now used as the state ("" if none).
	RestoredFrom string
	// StaleLock describes a removed lock of a dead process ("" if none).
	StaleLock string
}

// Changed reports whether anything was repaired.
func (r StateRepair) Changed() bool {
	return r.MovedAside != "" || r.StaleLock != ""
}

// RepairState checks the local state of w (remote backends keep their own)
// and repairs what a kill left behind, writing what it did to log.
func (w *Workspace) RepairState(log io.Writer) (StateRepair, error) {
	var rep StateRepair
	if w.Backend != nil {
		return rep, nil
	}
	if log == nil {
		log = io.Discard
	}
	path := filepath.Join(w.Dir, stateFile)
	if msg, err := clearStaleLock(w.Dir); err != nil {
		return rep, err
	} else if msg != "" {
		rep.StaleLock = msg
		fmt.Fprintln(log, msg)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	if _, ok := parseStateFile(b); ok {
		return rep, nil
	}
	aside := filepath.Join(w.Dir, fmt.Sprintf("terraform.tfstate.broken-%d", time.Now().UnixNano()))
	if err := os.Rename(path, aside); err != nil {
		return rep, err
	}
	rep.MovedAside = aside
	what := "is empty (0 bytes)"
	if len(b) > 0 {
		what = fmt.Sprintf("is unreadable (%d bytes, truncated or corrupt)", len(b))
	}
	best, bestSerial := "", int64(-1)
	for _, name := range []string{tfBackupFile, skyBackupFile} {
		bb, err := os.ReadFile(filepath.Join(w.Dir, name))
		if err != nil {
			continue
		}
		if st, ok := parseStateFile(bb); ok && st.Serial > bestSerial {
			best, bestSerial = name, st.Serial
		}
	}
	if best == "" {
		fmt.Fprintf(log, "The Terraform state of %s %s (terraform was killed while writing it); moved it to %s. No backup is readable: the tag sweep will find what exists in the cloud.\n", w.Dir, what, filepath.Base(aside))
		return rep, nil
	}
	bb, _ := os.ReadFile(filepath.Join(w.Dir, best))
	if err := skyhome.WriteFileAtomic(path, bb, 0o644); err != nil {
		return rep, err
	}
	rep.RestoredFrom = best
	fmt.Fprintf(log, "The Terraform state of %s %s (terraform was killed while writing it); moved it to %s and restored %s (serial %d). Resources the backup lacks are found by their tag.\n", w.Dir, what, filepath.Base(aside), best, bestSerial)
	return rep, nil
}

// backupState copies a valid local state to skyplan's backup before a
// run that rewrites it.
func (w *Workspace) backupState() error {
	if w.Backend != nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(w.Dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if _, ok := parseStateFile(b); !ok {
		return nil // never back up a broken state over a good backup
	}
	return skyhome.WriteFileAtomic(filepath.Join(w.Dir, skyBackupFile), b, 0o644)
}

// parseStateFile accepts a complete Terraform state document.
func parseStateFile(b []byte) (*rawState, bool) {
	var st rawState
	if len(b) == 0 || json.Unmarshal(b, &st) != nil || st.Version == 0 || st.Lineage == "" {
		return nil, false
	}
	return &st, true
}

// clearStaleLock removes the local backend's lock-info file when no
// process holds the state file's lock any more.
func clearStaleLock(dir string) (string, error) {
	info := filepath.Join(dir, lockInfoFile)
	b, err := os.ReadFile(info)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(filepath.Join(dir, stateFile), os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		// No state file to lock: nothing can hold the lock.
		_ = os.Remove(info)
		return fmt.Sprintf("Removed a stale Terraform lock-info file in %s (no state file is locked).", dir), nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	// Terraform's local lock is a POSIX record lock (fcntl F_SETLK) on the
	// whole state file; taking it ourselves proves nobody holds it.
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		return "", nil // a live terraform holds it: leave it alone
	}
	defer func() {
		lk.Type = syscall.F_UNLCK
		_ = syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk)
	}()
	var li struct{ ID, Operation, Who, Created string }
	_ = json.Unmarshal(b, &li)
	if err := os.Remove(info); err != nil {
		return "", err
	}
	return fmt.Sprintf("Cleared a stale Terraform state lock in %s (lock %s, %s by %s at %s): the process that took it is gone.", dir, li.ID, li.Operation, li.Who, li.Created), nil
}
