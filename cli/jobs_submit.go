package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/urfave/cli/v2"
)

// `skyplan jobs submit` is the controller VM's half of a forwarded `jobs
// launch`: the client plans, confirms and resolves the job (task,
// overrides, env files, secrets, SSH sources) and sends it as one JSON
// document on the SSH channel's stdin. Nothing secret is ever on a
// command line on the VM (ps, shell history, audit logs).

// submission is what a forwarded launch sends on stdin.
type submission struct {
	Name string    `json:"name"`
	Spec jobs.Spec `json:"spec"`
	// Secrets are the values StripSecrets took out of Spec.Task; the VM
	// keeps them only in its 0600 secrets file, as a local launch does.
	Secrets map[string]string `json:"secrets,omitempty"`
	Detach  bool              `json:"detach,omitempty"`
}

func init() {
	registerJobs(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:   "submit",
			Usage:  "record a planned job read as JSON from stdin (a forwarded `jobs launch` on the controller VM)",
			Hidden: true,
			Action: func(*cli.Context) error { return runJobsSubmit(io) },
		}
	})
}

func runJobsSubmit(io *IO) error {
	var sub submission
	if io.In == nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("jobs submit reads the job from stdin")))
	}
	if err := json.NewDecoder(io.In).Decode(&sub); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("reading the submitted job from stdin: %w", err)))
	}
	if sub.Spec.Task == nil || sub.Spec.TaskID == "" || sub.Name == "" {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("the submitted job lacks its task, task id or name")))
	}
	return withWarnings(nil, recordJob(io, sub, time.Now().UTC()))
}

// forwardLaunch records sub on the controller VM when one is configured
// (handled is false for a local controller): the task's local sources
// are copied to the VM first (uploadJobSources), then `jobs submit` reads
// the job on stdin. The VM is the one that SSHes to the job's clusters,
// so its own address joins the job's SSH sources.
func forwardLaunch(io *IO, sub submission) (handled bool, err error) {
	rc, err := openRemote(io, true)
	if err != nil || rc == nil {
		return err != nil, err
	}
	defer rc.sh.Close()
	if rc.rec.PublicIP != "" {
		sub.Spec.SSHCIDRs = append(append([]string{}, sub.Spec.SSHCIDRs...), rc.rec.PublicIP+"/32")
	}
	t, n, err := uploadJobSources(io.Interrupted, rc.sh, sub.Spec)
	if err != nil {
		return true, Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if n > 0 {
		fmt.Fprintf(io.Err, "Copied %d local source(s) of the task to the controller VM.\n", n)
	}
	sub.Spec.Task = t
	body, err := json.Marshal(sub)
	if err != nil {
		return true, err
	}
	return true, rc.exec(io, []string{"jobs", "submit"}, bytes.NewReader(body), "submitting the job")
}
