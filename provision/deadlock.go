package provision

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// A Terraform state lock outlives a process killed with -9: the local
// backend's is an fcntl lock the kernel drops (RepairState removes its
// lock-info file), but a remote backend's is an object (S3's use_lockfile
// .tflock, a DynamoDB item, a GCS lock file) that stays until someone
// force-unlocks it. skyplan clears such a lock only when it can tell its
// holder is dead: the lock was taken on this machine by this user, skyplan
// holds the cluster's own lock (no other skyplan process works on it), and
// no terraform process runs in a directory of this cluster. A lock of
// another machine is left alone: only its owner knows whether it runs.

// LockInfo is Terraform's "Lock Info" of a state lock it could not take.
type LockInfo struct {
	ID, Path, Operation, Who, Created string
}

var lockInfoLine = regexp.MustCompile(`(?m)^\s*(ID|Path|Operation|Who|Created):\s*(.*?)\s*$`)

// lockInfoOf reads the lock info out of a failed run's error text.
func lockInfoOf(text string) (LockInfo, bool) {
	var li LockInfo
	for _, m := range lockInfoLine.FindAllStringSubmatch(text, -1) {
		switch m[1] {
		case "ID":
			li.ID = m[2]
		case "Path":
			li.Path = m[2]
		case "Operation":
			li.Operation = m[2]
		case "Who":
			li.Who = m[2]
		case "Created":
			li.Created = m[2]
		}
	}
	return li, li.ID != "" && li.Who != ""
}

// thisWho is the Who Terraform writes into the locks it takes here.
func thisWho() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// terraformRunsIn reports whether a terraform (or provider) process has
// the cluster's directory, or a directory of the same cluster name under
// another $SKYPLAN_HOME, as its working directory. ok is false when
// processes cannot be listed (no /proc): then nothing is known.
func terraformRunsIn(dir string) (running, ok bool) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false, false
	}
	self := os.Getpid()
	name := filepath.Base(dir)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "terraform") {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		if cwd == dir || strings.HasPrefix(cwd, dir+string(filepath.Separator)) ||
			(filepath.Base(cwd) == name && filepath.Base(filepath.Dir(cwd)) == "clusters") {
			return true, true
		}
	}
	return false, true
}

// clearDeadLock force-unlocks the state lock a failed run reported when
// its holder is dead (see above), and says what it did; "" when the lock
// is left alone.
func (w *Workspace) clearDeadLock(te *TerraformError) string {
	li, ok := lockInfoOf(te.Text())
	if !ok || li.Who != thisWho() {
		return ""
	}
	if running, known := terraformRunsIn(w.Dir); running || !known {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := w.tf.ForceUnlock(ctx, li.ID); err != nil {
		return ""
	}
	return fmt.Sprintf("Cleared a stale Terraform state lock on %s (lock %s, %s by %s at %s): no terraform of this machine runs for %s any more (it was killed).",
		li.Path, li.ID, li.Operation, li.Who, li.Created, filepath.Base(w.Dir))
}
