package compiler

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/skyhome"
)

// manifestFile lists the files the last WriteDir wrote, so the next one can
// remove those it no longer generates (e.g. buckets/ after the task dropped
// its persistent buckets) without touching anything else in dir (state,
// .terraform, user override files).
const manifestFile = ".skyplan-generated"

// WriteDir writes the module under dir, each file atomically, and removes
// stale files a previous WriteDir generated. A lock file (LockFile) is
// written only where none exists and never removed: once there, terraform
// init and `terraform providers lock` maintain it (other platforms' hashes)
// and the team commits it.
func (m *Module) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := os.ReadFile(filepath.Join(dir, manifestFile))
	paths := m.Paths()
	for _, p := range paths {
		if strings.Contains(p, "..") || filepath.IsAbs(p) {
			return fmt.Errorf("internal: refusing to write %q outside %s", p, dir)
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if path.Base(p) == LockFile {
			if _, err := os.Stat(full); err == nil {
				continue
			}
		}
		if err := skyhome.WriteFileAtomic(full, m.Files[p], 0o644); err != nil {
			return err
		}
	}
	keep := map[string]bool{}
	for _, p := range paths {
		keep[p] = true
	}
	for _, p := range strings.Split(string(old), "\n") {
		if p == "" || keep[p] || strings.Contains(p, "..") || filepath.IsAbs(p) || path.Base(p) == LockFile {
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.Remove(full); err != nil && !os.IsNotExist(err) {
			return err
		}
		// Drop directories the removal emptied (modules/<old cloud>/...).
		for d := filepath.Dir(full); d != filepath.Clean(dir) && strings.HasPrefix(d, filepath.Clean(dir)); d = filepath.Dir(d) {
			if os.Remove(d) != nil {
				break
			}
		}
	}
	return skyhome.WriteFileAtomic(filepath.Join(dir, manifestFile), []byte(strings.Join(paths, "\n")+"\n"), 0o644)
}

// ForeignFiles lists the files in dir (relative, slash-separated) that
// skyplan did not write there: not in its manifest, and not Terraform's own
// working files (.terraform/, the lock file, local state) or override files
// (*_override.tf, which Terraform merges on purpose). Writing a module over
// them would overwrite a user's main.tf or make their other .tf files part
// of the module. A missing dir has none.
func ForeignFiles(dir string) ([]string, error) {
	mine := map[string]bool{manifestFile: true}
	if old, err := os.ReadFile(filepath.Join(dir, manifestFile)); err == nil {
		for _, p := range strings.Split(string(old), "\n") {
			mine[p] = true
		}
	}
	var foreign []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == ".terraform" {
				return filepath.SkipDir
			}
			return nil
		}
		base := d.Name()
		switch {
		case mine[rel], terraformWorkingFile(base):
		default:
			foreign = append(foreign, rel)
		}
		return nil
	})
	return foreign, err
}

func terraformWorkingFile(base string) bool {
	return base == ".terraform.lock.hcl" || base == ".terraform.tfstate.lock.info" ||
		strings.HasPrefix(base, "terraform.tfstate") ||
		base == "override.tf" || strings.HasSuffix(base, "_override.tf") ||
		base == "override.tf.json" || strings.HasSuffix(base, "_override.tf.json")
}
