package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"go.yaml.in/yaml/v3"
)

// SpecLoader parses service versions as `serve up` did.
type SpecLoader struct {
	// Accelerators are the catalog's accelerator names (task.LoadOptions).
	Accelerators []string
}

// Load parses one version's task YAML into a Spec.
func (l SpecLoader) Load(v state.ServiceVersion) (*Spec, error) {
	pl, ds := task.Parse(v.TaskPath, []byte(v.TaskYAML), task.LoadOptions{Accelerators: l.Accelerators})
	if ds.HasErrors() || pl == nil || len(pl.Tasks) != 1 {
		return nil, fmt.Errorf("service %s version %d: %s", v.Service, v.Version, ds.Error())
	}
	secrets, err := ReadSecrets(v.Service, v.Version)
	if err != nil {
		return nil, err
	}
	o := task.Overrides{Envs: v.Envs, EnvFiles: v.EnvFiles, Secrets: secrets}
	if ods := pl.ApplyOverrides(o, func(string) string { return "" }); ods.HasErrors() {
		return nil, fmt.Errorf("service %s version %d: %s", v.Service, v.Version, ods.Error())
	}
	t := pl.Tasks[0]
	if vds := t.ValidateService(); vds.HasErrors() {
		return nil, fmt.Errorf("service %s version %d: %s", v.Service, v.Version, vds.Error())
	}
	rebaseWorkdir(t, []byte(v.TaskYAML), v.Cwd)
	applyUploads(t, v.Uploads)
	return SpecFromTask(t, v.Version)
}

// applyUploads points the task's local sources at their copies on this
// controller VM (ServiceVersion.Uploads).
func applyUploads(t *task.Task, up map[string]string) {
	if len(up) == 0 {
		return
	}
	if p, ok := up["workdir"]; ok && t.Workdir != nil {
		w := *t.Workdir
		w.Path = p
		t.Workdir = &w
	}
	mounts := make([]task.FileMount, 0, len(t.FileMounts))
	for _, fm := range t.FileMounts {
		if p, ok := up["file_mounts."+fm.Dst]; ok && fm.Storage == nil {
			fm.Src = p
		}
		if fm.Storage != nil {
			st := *fm.Storage
			st.Source = append([]string{}, st.Source...)
			for i := range st.Source {
				if p, ok := up[fmt.Sprintf("file_mounts.%s.source.%d", fm.Dst, i)]; ok {
					st.Source[i] = p
				}
			}
			fm.Storage = &st
		}
		mounts = append(mounts, fm)
	}
	t.FileMounts = mounts
}

// UploadsDir holds a forwarded service's copied local sources on the
// controller VM (removed with the service).
func UploadsDir(service string) string { return filepath.Join(LogDir(service), "uploads") }

// RemoveUploads deletes them (after serve down).
func RemoveUploads(service string) { os.RemoveAll(UploadsDir(service)) }

// rebaseWorkdir resolves a relative workdir against the directory `serve
// up` ran in: the parser resolved it against the controller's.
func rebaseWorkdir(t *task.Task, data []byte, cwd string) {
	if t.Workdir == nil || t.Workdir.Path == "" || cwd == "" {
		return
	}
	var raw struct {
		Workdir any `yaml:"workdir"`
	}
	if yaml.Unmarshal(data, &raw) != nil {
		return
	}
	p, ok := raw.Workdir.(string)
	if !ok || p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "~") || strings.Contains(p, "$") {
		return
	}
	t.Workdir.Path = filepath.Join(cwd, p)
}

// SpecFromTask turns a validated service task into a Spec.
func SpecFromTask(t *task.Task, version int) (*Spec, error) {
	svc := t.Service
	if svc == nil {
		return nil, fmt.Errorf("task has no service section")
	}
	port, ds := t.ServicePort()
	if ds.HasErrors() {
		return nil, fmt.Errorf("%s", ds.Error())
	}
	secs := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	rp := svc.Readiness
	probe := replica.Probe{Path: rp.Path, PostData: rp.PostData, Headers: rp.Headers,
		Timeout: secs(rp.TimeoutSeconds), InitialDelay: secs(rp.InitialDelaySeconds)}
	s := &Spec{Version: version, Task: t, Port: port, Probe: probe,
		Policy:        replica.Policy{Probe: probe, ReplaceAfterDuration: secs(rp.FailureThresholdSeconds)},
		ProbeInterval: secs(rp.ProbeIntervalSeconds),
		Min:           svc.Replicas.MinReplicas, Max: svc.Replicas.Max(), LoadBalancingPolicy: svc.LoadBalancingPolicy,
		StreamTimeout: secs(svc.StreamTimeoutSeconds)}
	for _, r := range t.Resources.Items {
		if r.UseSpot {
			s.UseSpot = true
		}
	}
	if svc.TLS != nil {
		s.TLSKeyFile, s.TLSCertFile = expand(svc.TLS.KeyFile), expand(svc.TLS.CertFile)
	}
	return s, nil
}

func expand(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}

// secretsPath holds one version's --secret values (K=V lines, 0600).
func secretsPath(service string, version int) string {
	return filepath.Join(LogDir(service), fmt.Sprintf("secrets-v%d.env", version))
}

// WriteSecrets stores a version's --secret values for the controller
// (nothing is written without secrets). They never go to state.db.
func WriteSecrets(service string, version int, kvs []string) error {
	if len(kvs) == 0 {
		return nil
	}
	if err := os.MkdirAll(LogDir(service), 0o700); err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(secretsPath(service, version), []byte(strings.Join(kvs, "\n")+"\n"), 0o600)
}

// ReadSecrets reads what WriteSecrets stored (none if there is no file).
func ReadSecrets(service string, version int) ([]string, error) {
	b, err := os.ReadFile(secretsPath(service, version))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// RemoveSecrets deletes a service's stored secrets (after serve down).
func RemoveSecrets(service string) {
	ms, _ := filepath.Glob(filepath.Join(LogDir(service), "secrets-v*.env"))
	for _, m := range ms {
		os.Remove(m)
	}
}
