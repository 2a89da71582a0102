package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/hashicorp/terraform-exec/tfexec"
)

const initMarker = "skyplan-init.sha256"

// Init runs `terraform init` when the directory needs it: never initialised,
// or its providers, modules or backend changed (another cloud). Fallback
// between zones and regions only changes tfvars, so one cluster directory
// is initialised once, not once per attempt.
func (w *Workspace) Init(ctx context.Context) error {
	// A kill -9 may have left a broken state or a stale lock: repair them
	// before Terraform reads the state.
	if _, err := w.RepairState(w.UI); err != nil {
		return err
	}
	fp, err := w.initFingerprint()
	if err != nil {
		return err
	}
	marker := filepath.Join(w.Dir, ".terraform", initMarker)
	if old, err := os.ReadFile(marker); err == nil && string(old) == fp {
		return nil
	}
	unlock, err := lockFile(filepath.Join(w.tc.PluginCacheDir, ".skyplan-init.lock"))
	if err != nil {
		return err
	}
	defer unlock()
	_, err = w.run("init", false, func(out io.Writer) error {
		return w.tf.InitJSON(ctx, out, w.initOptions()...)
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
		return err
	}
	return os.WriteFile(marker, []byte(fp), 0o644)
}

func (w *Workspace) initOptions() []tfexec.InitOption {
	opts := []tfexec.InitOption{tfexec.Upgrade(false), tfexec.Reconfigure(true)}
	if w.Backend != nil {
		keys := make([]string, 0, len(w.Backend.Config))
		for k := range w.Backend.Config {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			opts = append(opts, tfexec.BackendConfig(k+"="+w.Backend.Config[k]))
		}
	}
	return opts
}

// initFingerprint hashes what init depends on: terraform blocks
// (required_providers, backend), module blocks and the backend settings.
func (w *Workspace) initFingerprint() (string, error) {
	files, err := filepath.Glob(filepath.Join(w.Dir, "*.tf"))
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		file, diags := hclwrite.ParseConfig(src, f, hcl.InitialPos)
		if diags.HasErrors() {
			return "", fmt.Errorf("reading %s: %s", f, diags.Error())
		}
		for _, b := range file.Body().Blocks() {
			if b.Type() == "terraform" || b.Type() == "module" {
				h.Write(b.BuildTokens(nil).Bytes())
			}
		}
	}
	if w.Backend != nil {
		fmt.Fprintf(h, "backend %s\n", w.Backend.Type)
		for _, o := range w.initOptions() {
			fmt.Fprintf(h, "%v\n", o)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// lockFile takes an exclusive flock, waiting for other skyplan processes.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
