package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
)

// A failed attempt that leaves its region is not destroyed before the next
// attempt starts: its workspace is retired. The cluster directory's root
// module, providers and state move to retired/<id>/ (the state is renamed,
// so exactly one directory ever holds those resources), state.db records
// the retirement first, and a goroutine destroys it while the loop tries
// the next region from an empty state. The destroy of one failed region
// thus overlaps the apply of the next instead of adding to it.
//
// Nothing leaks when skyplan dies: the row stays until the retired state
// is empty, and the next apply of the cluster or its `down` finishes every
// recorded retirement (down before it declares the cluster gone). An
// attempt never starts in a region where a retired destroy of the same
// cluster still runs, so two directories never work on one region's
// resources at once, nor anywhere while a retired attempt may still hold
// a globally named resource (a bucket) the next attempt creates again.

// RetiredDir holds, under a cluster directory, the workspaces of failed
// attempts being destroyed in the background.
const RetiredDir = "retired"

// retiredLock is the flock a process holds while it destroys a retired
// workspace; another process waits on it instead of destroying twice.
const retiredLock = ".skyplan-destroy.lock"

// retirement is one background destroy of this process.
type retirement struct {
	rec  state.Retired
	done chan struct{}
	err  error // set before done closes
	// global: the attempt may hold globally named resources (buckets),
	// so no attempt in any region starts before this destroy ends.
	global bool
}

func (r *retirement) key() string { return r.rec.Cloud + "/" + r.rec.Region }

// blocks reports whether an attempt in region key must wait for r.
func (r *retirement) blocks(key string) bool {
	return key == "" || r.key() == key || r.global
}

// holdsGlobalNames reports whether the failed attempt's workspace may hold
// a resource whose name is global to its cloud. Without the apply's stream
// (or after a half-made apply) skyplan cannot tell, and says yes.
func (l *Launcher) holdsGlobalNames(cloudName string) bool {
	a := l.lastApply
	if a == nil {
		return true
	}
	return cloud.HoldsGlobalNames(cloudName, append(append([]string(nil), a.Created...), a.Errored...))
}

// retirable: the failure was a refusal of the launch (nothing was created
// that Terraform did not record, so no tag sweep is needed) and the state
// is local (a remote state cannot be copied aside), so the attempt's
// destroy can run apart from the cluster's directory.
func (l *Launcher) retirable(f *Failure) bool {
	if l.Store == nil || l.WS.Backend != nil || l.NoFailover || l.PlanFile != "" {
		return false
	}
	switch f.Class {
	case Capacity, Quota, Spot:
		return true
	}
	return false
}

// retire moves the failed attempt at p aside and starts destroying it.
// ok is false when it could not be moved (the caller destroys in place).
func (l *Launcher) retire(ctx context.Context, p optimizer.Placement, f *Failure) (bool, error) {
	id := fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102T150405.000000000"), p.Region)
	rec := state.Retired{Cluster: l.Cluster, ID: id, Dir: filepath.Join(l.WS.Dir, RetiredDir, id),
		Cloud: p.Cloud, Region: p.Region, Zone: p.Zone, Class: string(f.Class), At: time.Now()}
	// The row comes first: from here on a kill -9 leaves a record that
	// says where the resources are (still in the cluster directory until
	// the state is renamed, which the finisher then finds empty).
	if err := l.Store.AddRetired(rec); err != nil {
		return false, err
	}
	if err := moveWorkspace(l.WS.Dir, rec.Dir); err != nil {
		fmt.Fprintf(l.Log, "Could not set the failed attempt in %s aside (%v); destroying it in place …\n", InfraLabel(p.Cloud, p.Region, p.Zone), err)
		if _, serr := os.Stat(filepath.Join(rec.Dir, stateFile)); serr == nil {
			return false, fmt.Errorf("setting the failed attempt aside: %w (its state is in %s)", err, rec.Dir)
		}
		_ = os.RemoveAll(rec.Dir)
		_ = l.Store.DeleteRetired(rec.Cluster, rec.ID)
		return false, nil
	}
	global := l.holdsGlobalNames(p.Cloud)
	l.dirty, l.lastApply, l.freshState, l.stateAt = false, nil, false, nil
	fmt.Fprintf(l.Log, "Destroying what the attempt in %s created, in the background …\n", InfraLabel(p.Cloud, p.Region, p.Zone))
	l.startRetired(ctx, rec, true, global)
	return true, nil
}

func (l *Launcher) startRetired(ctx context.Context, rec state.Retired, fresh, global bool) {
	r := &retirement{rec: rec, done: make(chan struct{}), global: global}
	l.retiring = append(l.retiring, r)
	tc := l.WS.tc
	go func() {
		defer close(r.done)
		r.err = destroyRetired(ctx, tc, l.Store, rec, fresh, false)
	}()
}

// resumeRetired starts the destroys an earlier, killed skyplan recorded
// and did not finish.
func (l *Launcher) resumeRetired(ctx context.Context) error {
	if l.Store == nil {
		return nil
	}
	recs, err := l.Store.ListRetired(l.Cluster)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		fmt.Fprintf(l.Log, "Finishing the destroy of an earlier failed attempt of %s in %s, in the background …\n", l.Cluster, InfraLabel(rec.Cloud, rec.Region, rec.Zone))
		l.startRetired(ctx, rec, false, true) // what it holds is not known here
	}
	return nil
}

// waitRetired waits for this process's background destroys in region key
// (cloud/region; "" waits for all), and for those that may hold globally
// named resources wherever key is, and returns what failed. A failed one
// keeps its row and directory: the next apply or down retries it.
func (l *Launcher) waitRetired(ctx context.Context, key string) error {
	var errs []error
	keep := l.retiring[:0]
	for _, r := range l.retiring {
		if !r.blocks(key) {
			keep = append(keep, r)
			continue
		}
		select {
		case <-r.done:
		default:
			if key == r.key() {
				fmt.Fprintf(l.Log, "Waiting for the destroy of the failed attempt in %s before trying %s again …\n", InfraLabel(r.rec.Cloud, r.rec.Region, r.rec.Zone), InfraLabel(r.rec.Cloud, r.rec.Region, ""))
			} else if key != "" {
				fmt.Fprintf(l.Log, "Waiting for the destroy of the failed attempt in %s: it holds bucket names the next attempt creates again …\n", InfraLabel(r.rec.Cloud, r.rec.Region, r.rec.Zone))
			}
			select {
			case <-r.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if r.err != nil {
			errs = append(errs, fmt.Errorf("destroying what the failed attempt in %s created: %w; its Terraform state is kept in %s, and the next `skyplan apply -c %s` or `skyplan down %s` finishes it",
				InfraLabel(r.rec.Cloud, r.rec.Region, r.rec.Zone), r.err, r.rec.Dir, l.Cluster, l.Cluster))
		}
	}
	l.retiring = keep
	return errors.Join(errs...)
}

// WaitRetired waits until every failed attempt this launch set aside is
// destroyed. Launch returns as soon as the cluster is UP; its caller calls
// this before it exits (a process that exits earlier leaves the rows for
// the next apply or down).
func (l *Launcher) WaitRetired(ctx context.Context) error {
	if len(l.retiring) == 0 {
		return nil
	}
	n := 0
	for _, r := range l.retiring {
		select {
		case <-r.done:
		default:
			n++
		}
	}
	if n > 0 {
		fmt.Fprintf(l.Log, "Waiting for %d background destroy(s) of failed attempts …\n", n)
	}
	return l.waitRetired(ctx, "")
}

// FinishRetired destroys every recorded retired attempt of cluster (what
// a killed skyplan left), waiting for a process that is still destroying
// one. sweep also removes, by tag, what each attempt's region still holds
// of the cluster: `down` uses it, since everything of the cluster goes.
func FinishRetired(ctx context.Context, tc *Toolchain, st *state.Store, cluster string, log io.Writer, sweep bool) error {
	if st == nil {
		return nil
	}
	recs, err := st.ListRetired(cluster)
	if err != nil {
		return err
	}
	var errs []error
	for _, rec := range recs {
		if log != nil {
			fmt.Fprintf(log, "Destroying what the failed attempt of %s in %s created …\n", cluster, InfraLabel(rec.Cloud, rec.Region, rec.Zone))
		}
		if err := destroyRetired(ctx, tc, st, rec, false, sweep); err != nil {
			errs = append(errs, fmt.Errorf("failed attempt in %s (state in %s): %w", InfraLabel(rec.Cloud, rec.Region, rec.Zone), rec.Dir, err))
		}
	}
	return errors.Join(errs...)
}

// destroyRetired destroys one retired workspace and, once its state is
// empty, removes the directory and then the row. fresh: the state was
// written by this process a moment ago, so the first try skips refresh.
func destroyRetired(ctx context.Context, tc *Toolchain, st *state.Store, rec state.Retired, fresh, sweep bool) error {
	if _, err := os.Stat(rec.Dir); errors.Is(err, fs.ErrNotExist) {
		return st.DeleteRetired(rec.Cluster, rec.ID) // killed before the move, or after the removal
	}
	unlock, err := lockFile(filepath.Join(rec.Dir, retiredLock))
	if err != nil {
		return err
	}
	defer unlock()
	ws, err := tc.Workspace(rec.Dir, nil, false)
	if err != nil {
		return err
	}
	if _, err := ws.RepairState(nil); err != nil {
		return err
	}
	if n, err := localStateResources(rec.Dir); err != nil || n > 0 || sweep {
		if err := ws.Init(ctx); err != nil {
			return err
		}
		if sweep {
			if id, ok := DirIdentity(rec.Dir); ok {
				if _, err := ws.Sweep(ctx, SweepOptions{Cloud: id.Cloud, Region: id.Region, Tag: id.Tag}); err != nil {
					return err
				}
			}
		}
		var derr error
		for try := 0; try < 3; try++ {
			if _, derr = ws.Destroy(ctx, DestroyOptions{NoRefresh: fresh && try == 0}); derr == nil || ctxDone(derr) {
				break
			}
		}
		if derr != nil {
			return derr
		}
		if n, err := localStateResources(rec.Dir); err != nil {
			return err
		} else if n > 0 {
			return fmt.Errorf("%d resource(s) are still in the state after destroy", n)
		}
	}
	// The directory goes before the row: a kill in between leaves a row
	// whose directory is gone, which the next finisher just deletes.
	if err := os.RemoveAll(rec.Dir); err != nil {
		return err
	}
	return st.DeleteRetired(rec.Cluster, rec.ID)
}

// localStateResources counts the managed resource instances of dir's
// local state file (none when there is no file).
func localStateResources(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s, ok := parseStateFile(b)
	if !ok {
		return 0, fmt.Errorf("the state file in %s is unreadable", dir)
	}
	n := 0
	for _, r := range s.Resources {
		if r.Mode == "managed" {
			n += len(r.Instances)
		}
	}
	return n, nil
}

// moveWorkspace makes dst a workspace of its own for the resources in
// src's state: the root's files and modules are copied, .terraform is
// copied with its provider binaries hard-linked (init never rewrites a
// provider in place) and its symlinks into the plugin cache kept, and the
// state files are renamed last, so until then src still owns them.
// src's persistent-buckets root, sweep root and other retired attempts
// stay where they are.
func moveWorkspace(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	skip := map[string]bool{RetiredDir: true, SweepDir: true, BucketsDir: true, lockInfoFile: true, "skyplan.tfplan": true,
		stateFile: true, tfBackupFile: true, skyBackupFile: true}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == "." {
			return nil
		}
		if top, _, _ := strings.Cut(filepath.ToSlash(rel), "/"); skip[top] || strings.HasPrefix(top, stateFile+".broken-") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		return copyOrLink(path, to, d)
	})
	if err != nil {
		return err
	}
	// The state moves last; then its backups, which describe the same
	// resources and must not be restored into src's next state.
	for _, name := range []string{stateFile, tfBackupFile, skyBackupFile} {
		if err := os.Rename(filepath.Join(src, name), filepath.Join(dst, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// copyOrLink hard-links large files (provider binaries) and copies the
// rest, which terraform or the compiler may rewrite in place.
func copyOrLink(from, to string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	if info.Size() > 1<<20 && os.Link(from, to) == nil {
		return nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, info.Mode().Perm())
}
