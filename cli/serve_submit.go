package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// `skyplan serve submit` is the controller VM's half of a forwarded
// `serve up` or `serve update`, as `jobs submit` is for `jobs launch`:
// the client loads, plans and confirms the service, resolves its
// overrides (env files, bare --env/--secret K from its environment) and
// sends it as one JSON document on the SSH channel's stdin. Secret values
// are never on a command line on the VM and, as locally, are kept only in
// the version's 0600 secrets file.

// serviceSubmission is one service version to record.
type serviceSubmission struct {
	Name     string `json:"name"`
	TaskYAML string `json:"task_yaml"`
	// TaskPath and Cwd are where the client read the file (messages,
	// and a local service's relative workdir); EnvFiles are read by the
	// controller on every load, so a forwarded one has them in Envs.
	TaskPath string   `json:"task_path"`
	Cwd      string   `json:"cwd,omitempty"`
	Envs     []string `json:"envs,omitempty"`
	EnvFiles []string `json:"env_files,omitempty"`
	Secrets  []string `json:"secrets,omitempty"`
	// Update: a new version of an existing service (Mode rolling or
	// blue_green); otherwise a new service, Wait bounding its endpoint.
	Update bool          `json:"update,omitempty"`
	Mode   string        `json:"mode,omitempty"`
	Wait   time.Duration `json:"wait,omitempty"`
	// Uploads name the VM's copies of the task's local sources
	// (state.ServiceVersion.Uploads).
	Uploads map[string]string `json:"uploads,omitempty"`
}

func newServiceSubmission(name string, sp *servicePlan, ov task.Overrides) serviceSubmission {
	cwd, _ := os.Getwd()
	abs, _ := filepath.Abs(sp.path)
	return serviceSubmission{Name: name, TaskYAML: string(sp.yaml), TaskPath: abs, Cwd: cwd,
		Envs: ov.Envs, EnvFiles: ov.EnvFiles, Secrets: ov.Secrets}
}

func (sub serviceSubmission) version() state.ServiceVersion {
	return state.ServiceVersion{Service: sub.Name, TaskYAML: sub.TaskYAML, TaskPath: sub.TaskPath, Cwd: sub.Cwd,
		At: time.Now(), Envs: sub.Envs, EnvFiles: sub.EnvFiles, Uploads: sub.Uploads}
}

func init() {
	registerServe(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:   "submit",
			Usage:  "record a planned service version read as JSON from stdin (a forwarded `serve up` or `serve update` on the controller VM)",
			Hidden: true,
			Action: func(*cli.Context) error { return runServeSubmit(io) },
		}
	})
}

func runServeSubmit(io *IO) error {
	var sub serviceSubmission
	if io.In == nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("serve submit reads the service from stdin")))
	}
	if err := json.NewDecoder(io.In).Decode(&sub); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("reading the submitted service from stdin: %w", err)))
	}
	if sub.Name == "" || sub.TaskYAML == "" {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("the submitted service lacks its name or task")))
	}
	if sub.Update {
		return recordServiceVersion(io, sub, nil)
	}
	return recordService(io, sub, nil)
}

// recordService records a new service and its first version's secrets,
// hands it to the controller daemon and waits for its endpoint: the end
// of a local `serve up`, and `serve submit` on a controller VM.
func recordService(io *IO, sub serviceSubmission, ds diag.Diagnostics) error {
	store, err := openStore()
	if err != nil {
		return withWarnings(ds, err)
	}
	defer store.Close()
	name, now := sub.Name, time.Now()
	v := sub.version()
	v.Version, v.At = 1, now
	err = store.CreateService(&state.Service{Name: name, Status: state.ServiceControllerInit, Version: 1,
		UpdateMode: service.ModeRolling, CreatedAt: now}, v)
	if errors.Is(err, state.ErrServiceExists) {
		return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Service already exists", Field: "--service-name",
			Detail: fmt.Sprintf("A service named %s exists. Use `skyplan serve update %s %s` to change it, or another -n NAME.", name, name, sub.TaskPath)})
	}
	if err != nil {
		return withWarnings(ds, err)
	}
	if err := service.WriteSecrets(name, 1, sub.Secrets); err != nil {
		return withWarnings(ds, err)
	}
	if _, err := ensureController(io); err != nil {
		return withWarnings(ds, err)
	}
	endpoint, err := waitEndpoint(io, store, name, sub.Wait)
	if err != nil {
		return withWarnings(ds, err)
	}
	fmt.Fprintf(io.Err, "Service %s is starting; replicas launch in the background.\n"+
		"  Status:  skyplan serve status %s\n  Logs:    skyplan serve logs %s --controller\n  Down:    skyplan serve down %s\n", name, name, name, name)
	fmt.Fprintf(io.Out, "Service %s endpoint: %s\n", name, endpoint)
	return done(ds)
}

// recordServiceVersion adds a version to an existing service (secrets
// first: the controller may read the version as soon as it is
// committed): the end of a local `serve update`, and `serve submit`.
func recordServiceVersion(io *IO, sub serviceSubmission, ds diag.Diagnostics) error {
	store, err := openStore()
	if err != nil {
		return withWarnings(ds, err)
	}
	defer store.Close()
	svc, err := store.GetService(sub.Name)
	if errors.Is(err, state.ErrNotFound) {
		return fail(ds, noServiceToUpdate(sub.Name, sub.TaskPath))
	} else if err != nil {
		return withWarnings(ds, err)
	}
	if err := service.WriteSecrets(sub.Name, svc.Version+1, sub.Secrets); err != nil {
		return withWarnings(ds, err)
	}
	v, err := store.AddServiceVersion(sub.Name, sub.version(), sub.Mode)
	if err != nil {
		return fail(ds, err)
	}
	if _, err := ensureController(io); err != nil {
		return withWarnings(ds, err)
	}
	fmt.Fprintf(io.Out, "Service %s is updating to version %d (%s).\n", sub.Name, v, sub.Mode)
	return done(ds)
}

func noServiceToUpdate(name, path string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No service named %q", name),
		Detail: "See `skyplan serve status`; `skyplan serve up " + path + " -n " + name + "` creates it."}
}

// forwardService records sub on the controller VM when one is configured
// (handled is false for a local controller), bringing the VM up first
// for a new service as `jobs launch` does. Env files are read here (the
// VM has not got them). The task's local sources are copied to the VM
// first, as a forwarded job's are, under the service's uploads
// directory; the VM parses the YAML again on every load and points those
// fields at the copies (service.SpecLoader, Uploads).
func forwardService(io *IO, sub serviceSubmission, sp *servicePlan) (handled bool, err error) {
	rc, err := openRemote(io, !sub.Update)
	if err != nil || rc == nil {
		return err != nil, err
	}
	defer rc.sh.Close()
	var envs []string
	for _, f := range sub.EnvFiles {
		kv, err := task.EnvFileAssignments(f)
		if err != nil {
			return true, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot read env file", Detail: err.Error(), Field: "--env-file"}})
		}
		envs = append(envs, kv...)
	}
	sub.Envs, sub.EnvFiles, sub.Cwd = append(envs, sub.Envs...), nil, ""
	rel, err := filepath.Rel(skyhome.Dir(), filepath.Join(service.UploadsDir(sub.Name), time.Now().UTC().Format("20060102-150405.000000")))
	if err != nil {
		return true, err
	}
	copied, n, err := uploadSources(io.Interrupted, rc.sh, sp.task, rel)
	if err != nil {
		return true, Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if n > 0 {
		sub.Uploads = uploadedFields(sp.task, copied)
		fmt.Fprintf(io.Err, "Copied %d local source(s) of the service to the controller VM.\n", n)
	}
	body, err := json.Marshal(sub)
	if err != nil {
		return true, err
	}
	return true, rc.exec(io, []string{"serve", "submit"}, bytes.NewReader(body), "submitting the service")
}

// uploadedFields maps each task field whose source was copied to the
// copy's path (the keys of state.ServiceVersion.Uploads).
func uploadedFields(orig, copied *task.Task) map[string]string {
	out := map[string]string{}
	if orig.Workdir != nil && copied.Workdir != nil && orig.Workdir.Path != copied.Workdir.Path {
		out["workdir"] = copied.Workdir.Path
	}
	for i, fm := range orig.FileMounts {
		c := copied.FileMounts[i]
		if fm.Storage == nil {
			if fm.Src != c.Src {
				out["file_mounts."+fm.Dst] = c.Src
			}
			continue
		}
		for j, s := range fm.Storage.Source {
			if s != c.Storage.Source[j] {
				out[fmt.Sprintf("file_mounts.%s.source.%d", fm.Dst, j)] = c.Storage.Source[j]
			}
		}
	}
	return out
}
