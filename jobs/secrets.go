package jobs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
)

// Secrets of a job never go into state.db: the CLI strips their values
// from the Spec and keeps them in $SKYPLAN_HOME/managed_jobs/secrets/<task
// id>.json (mode 0600, like the SSH key); the controller reads them when it
// submits an attempt and removes the file once the job has ended.

func secretsPath(home, taskID string) string {
	return filepath.Join(home, "managed_jobs", "secrets", taskID+".json")
}

// StripSecrets returns t with secret values removed and the values.
func StripSecrets(t *task.Task) (*task.Task, map[string]string) {
	cp := *t
	vals := map[string]string{}
	cp.Secrets = nil
	for _, s := range t.Secrets {
		if s.Value != nil {
			vals[s.Key] = *s.Value
		}
		cp.Secrets = append(cp.Secrets, task.EnvVar{Key: s.Key})
	}
	return &cp, vals
}

// SaveSecrets writes a job's secret values (nothing when there are none).
func SaveSecrets(home, taskID string, vals map[string]string) error {
	if len(vals) == 0 {
		return nil
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(secretsPath(home, taskID)), 0o700); err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(secretsPath(home, taskID), b, 0o600)
}

// LoadSecrets reads them back (none saved = empty).
func LoadSecrets(home, taskID string) (map[string]string, error) {
	b, err := os.ReadFile(secretsPath(home, taskID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vals map[string]string
	return vals, json.Unmarshal(b, &vals)
}

// DropSecrets removes them and the job's uploaded local sources (the job
// ended).
func DropSecrets(home, taskID string) {
	os.Remove(secretsPath(home, taskID))
	os.RemoveAll(UploadsDir(home, taskID))
}

// UploadsDir holds, on a controller VM, the local sources (workdir,
// file_mounts) a forwarded launch copied there for the job; its task
// names them by their paths under it.
func UploadsDir(home, taskID string) string {
	return filepath.Join(home, "managed_jobs", "uploads", taskID)
}

func withSecrets(t *task.Task, vals map[string]string) *task.Task {
	if len(vals) == 0 {
		return t
	}
	cp := *t
	cp.Secrets = nil
	for _, s := range t.Secrets {
		if v, ok := vals[s.Key]; ok {
			s.Value = &v
		}
		cp.Secrets = append(cp.Secrets, s)
	}
	return &cp
}
