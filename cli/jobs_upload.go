package cli

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
)

// uploadJobSources copies a forwarded job's local sources (its workdir,
// local file_mounts sources and local bucket sources) to the controller
// VM, each as a tar stream on the SSH channel (the runner's sync format,
// ignore files honoured) unpacked under the job's directory on the state
// volume (jobs.UploadsDir, removed when the job ends), and returns the
// task with those paths rewritten to the VM's copies: the daemon there
// syncs and uploads them on every attempt as a local daemon would from
// this machine.
func uploadJobSources(ctx context.Context, sh remote.Shell, spec jobs.Spec) (*task.Task, int, error) {
	rel, err := filepath.Rel(skyhome.Dir(), jobs.UploadsDir(skyhome.Dir(), spec.TaskID))
	if err != nil {
		return nil, 0, err
	}
	return uploadSources(ctx, sh, spec.Task, rel)
}

// uploadSources copies src's local sources to $SKYPLAN_HOME/rel/N on the
// VM (N = 1, 2, … per source) and returns the task naming the copies
// and how many were copied.
func uploadSources(ctx context.Context, sh remote.Shell, src *task.Task, rel string) (*task.Task, int, error) {
	t := *src
	baseDir := ""
	if t.Source.File != "" {
		baseDir = filepath.Dir(t.Source.File)
	}
	n := 0
	// upload copies one local source and returns its path on the VM.
	upload := func(src string) (string, error) {
		local := localSource(src, baseDir)
		fi, err := os.Stat(local)
		if err != nil {
			return "", fmt.Errorf("local source %s: %w", src, err)
		}
		n++
		dir := path.Join(filepath.ToSlash(rel), fmt.Sprint(n))
		tarPath, err := cluster.PackLocalSource(local)
		if err != nil {
			return "", fmt.Errorf("archiving %s: %w", local, err)
		}
		defer os.Remove(tarPath)
		f, err := os.Open(tarPath)
		if err != nil {
			return "", err
		}
		defer f.Close()
		at, err := remote.UploadTar(ctx, sh, dir, f)
		if err != nil {
			return "", fmt.Errorf("copying %s to the controller VM: %w", local, err)
		}
		if !fi.IsDir() {
			return at + "/" + filepath.Base(local), nil
		}
		if strings.HasSuffix(src, "/") {
			at += "/"
		}
		return at, nil
	}
	if w := t.Workdir; w != nil && w.Path != "" {
		p, err := upload(w.Path)
		if err != nil {
			return nil, 0, fmt.Errorf("workdir: %w", err)
		}
		t.Workdir = &task.Workdir{Path: p, URL: w.URL, Ref: w.Ref}
	}
	t.FileMounts = nil
	for _, fm := range src.FileMounts {
		if fm.Storage == nil {
			if fm.Src != "" && !task.IsCloudURI(fm.Src) {
				p, err := upload(fm.Src)
				if err != nil {
					return nil, 0, fmt.Errorf("file_mounts.%s: %w", fm.Dst, err)
				}
				fm.Src = p
			}
			t.FileMounts = append(t.FileMounts, fm)
			continue
		}
		st := *fm.Storage
		st.Source = nil
		for _, s := range fm.Storage.Source {
			if s != "" && !task.IsCloudURI(s) {
				p, err := upload(s)
				if err != nil {
					return nil, 0, fmt.Errorf("file_mounts.%s.source: %w", fm.Dst, err)
				}
				s = p
			}
			st.Source = append(st.Source, s)
		}
		fm.Storage = &st
		t.FileMounts = append(t.FileMounts, fm)
	}
	return &t, n, nil
}

// localSource is where a task's local source is on this machine: "~/"
// is this user's home, a relative path is relative to the task file's
// directory (as the runner resolves it for a local launch).
func localSource(src, baseDir string) string {
	switch {
	case src == "~" || strings.HasPrefix(src, "~/"):
		if home, err := os.UserHomeDir(); err == nil {
			src = filepath.Join(home, strings.TrimPrefix(src, "~"))
		}
	case !filepath.IsAbs(src) && baseDir != "":
		src = filepath.Join(baseDir, src)
	}
	if a, err := filepath.Abs(src); err == nil {
		return a
	}
	return src
}
