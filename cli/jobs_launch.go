package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		o := &JobsLaunchOptions{IO: io}
		flags := append(o.Task.flags(),
			&cli.BoolFlag{Name: "detach-run", Aliases: []string{"d"}, Destination: &o.Detach, Usage: "hand the job to the controller and return without streaming its logs"},
			&cli.StringFlag{Name: "job-recovery", Destination: &o.JobRecovery, Usage: "recovery `STRATEGY`: EAGER_NEXT_REGION (default) or FAILOVER",
				Action: func(*cli.Context, string) error { o.JobRecoverySet = true; return nil }},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			sshCIDRFlag(&o.SSHCIDRs),
		)
		return &cli.Command{
			Name:      "launch",
			Usage:     "submit a managed job: the controller launches it, recovers it after preemptions and tears it down",
			ArgsUsage: "TASK.yaml",
			Description: "Plans the task (the considered-resources table and $/h), asks `Proceed? [y/N]` (unless -y), records the\n" +
				"job and hands it to the controller daemon (started if it is not running), then streams the job's logs\n" +
				"across recoveries unless -d. Prints the managed job ID on stdout. Ctrl-C stops streaming; the job runs on.",
			Flags:  flags,
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runJobsLaunch(o) },
		}
	})
}

// JobsLaunchOptions are `skyplan jobs launch`'s flags and argument.
type JobsLaunchOptions struct {
	IO             *IO
	Task           TaskOptions
	Args           []string
	Detach         bool
	JobRecovery    string
	JobRecoverySet bool
	Yes            bool
	SSHCIDRs       cli.StringSlice
}

func runJobsLaunch(o *JobsLaunchOptions) error {
	io := o.IO
	if len(o.Args) != 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "jobs launch takes one task file",
			Detail: "Give the task YAML: skyplan jobs launch task.yaml [-n NAME]."}})
	}
	path := firstArg(o.Args)
	pl, ds := o.Task.load(io, "jobs launch", path)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	ds = append(ds, refuseUnplannable(pl)...)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if len(pl.Tasks) > 1 {
		return Exit(ExitFailure, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Managed pipelines are not supported yet",
			Detail:  fmt.Sprintf("%s holds %d tasks; `skyplan jobs launch` takes one task. Launch each task as its own managed job, or use `skyplan apply` for the pipeline.", path, len(pl.Tasks)),
			Subject: &diag.Range{Filename: path}}))
	}
	t := pl.Tasks[0]
	rc, err := jobs.RecoveryOf(t, o.JobRecovery)
	if err != nil {
		d := diag.Diagnostic{Severity: diag.Error, Summary: "Invalid job_recovery", Detail: err.Error() + ".",
			Subject: t.Source.Range("resources.job_recovery"), Field: "resources.job_recovery"}
		if o.JobRecoverySet {
			d.Subject, d.Field = nil, "--job-recovery"
		}
		return Exit(ExitFailure, append(ds, d))
	}
	if !o.Yes && !io.InTTY {
		_, err := confirm(io, "")
		return err
	}
	opts, ods := optimizerOptions(io, pl)
	if ods.HasErrors() {
		return Exit(ExitFailure, append(ds, ods...))
	}
	plan, pds := optimizer.Optimize(t, opts)
	ds = append(ds, pds...)
	if pds.HasErrors() || plan == nil || plan.Chosen == nil {
		return Exit(ExitFailure, ds)
	}
	optimizer.WriteTable(io.Err, plan, t.Resources.Ordered)
	// Who may SSH to every attempt's cluster is settled now, from this
	// machine: the controller launches later, maybe after a recovery.
	var ssh cluster.SSHSource
	if !cluster.IsPool(plan.Chosen.Cloud) {
		cfg, err := loadConfig()
		if err != nil {
			return err
		}
		var sds diag.Diagnostics
		ssh, sds = cluster.ResolveSSHSources(io.Interrupted, cfg, io.Environ, io.HTTPClient, o.SSHCIDRs.Value())
		if ds = append(ds, sds...); sds.HasErrors() {
			return Exit(ExitFailure, ds)
		}
		fmt.Fprintln(io.Err, ssh)
	}
	name := t.Name
	if name == "" {
		name = clusterName("", t, path)
	}
	p := plan.Chosen
	if !o.Yes {
		q := fmt.Sprintf("Managed job %q: first attempt in %s ($%.2f/h), recovery %s. Proceed?", name,
			infraLabel(p), p.HourlyCost, rc.Strategy)
		if ok, err := confirm(io, q); err != nil || !ok {
			return abortedOr(err)
		}
	}
	now := time.Now().UTC()
	stripped, secrets := jobs.StripSecrets(t)
	spec := jobs.Spec{Task: stripped, Recovery: rc, PinnedRegion: pinnedRegion(t), SSHCIDRs: ssh.CIDRs,
		TaskID: fmt.Sprintf("sky-managed-%s_%s", now.Format("2006-01-02-15-04-05-000000"), name)}
	// With a controller VM configured, the job is recorded there (brought
	// up on this first launch): the planned spec and its secrets travel on
	// the SSH channel's stdin, never on the remote command line.
	if handled, err := forwardLaunch(io, submission{Name: name, Spec: spec, Secrets: secrets, Detach: o.Detach}); handled {
		return withWarnings(ds, err)
	}
	return withWarnings(ds, recordJob(io, submission{Name: name, Spec: spec, Secrets: secrets, Detach: o.Detach}, now))
}

// recordJob records a planned job with its secrets, hands it to the
// controller daemon (started if needed) and follows it unless detached:
// the end of a local `jobs launch`, and `jobs submit` on a controller VM.
func recordJob(io *IO, sub submission, now time.Time) error {
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	js, err := jobs.OpenStore(store)
	if err != nil {
		return err
	}
	if err := jobs.SaveSecrets(skyhome.Dir(), sub.Spec.TaskID, sub.Secrets); err != nil {
		return err
	}
	id, err := js.Add(sub.Name, sub.Spec, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Managed job ID: %d\n", id)
	if _, err := ensureController(io); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Controller did not start",
			Detail: fmt.Sprintf("Job %d is recorded (PENDING) but the controller could not be started: %v. The next `skyplan jobs launch` or `skyplan jobs queue` starts it again.", id, err)}})
	}
	if sub.Detach {
		fmt.Fprintf(io.Err, "Job %d handed to the controller. Follow it with `skyplan jobs logs %d`; list jobs with `skyplan jobs queue`.\n", id, id)
		return nil
	}
	return followJob(io, js, id, 0, true)
}

func infraLabel(p *optimizer.Placement) string {
	s := p.Cloud + "/" + p.Region
	if p.Zone != "" {
		s += "/" + p.Zone
	}
	return s
}

// pinnedRegion: every candidate names a region, so a preemption must not
// move the job out of it.
func pinnedRegion(t *task.Task) bool {
	for _, r := range t.Resources.Items {
		if r.Infra.Region == "" {
			return false
		}
	}
	return len(t.Resources.Items) > 0
}

// followJob streams a job's logs (attempt n, or every attempt from the
// current one when n is 0) to stderr until it ends, reporting each status
// change; the exit code is 0 for SUCCEEDED.
func followJob(io *IO, js *jobs.Store, id int64, n int, progress bool) error {
	ctx := io.Interrupted
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	jc := &jobClusters{io: io, cfg: cfg, store: store}
	var last jobs.Status
	streamed := map[int]bool{}
	for {
		j, err := js.Get(id)
		if err != nil {
			return err
		}
		if j.Status != last && progress {
			fmt.Fprintf(io.Err, "Job %d: %s%s\n", id, j.Status, prefixedReason(j))
			last = j.Status
		}
		atts, err := js.Attempts(id)
		if err != nil {
			return err
		}
		// Attempts that ended before they could be streamed (a run shorter
		// than a poll): print what the controller saved.
		for _, a := range atts {
			if streamed[a.N] || a.Phase != jobs.PhaseEnded || (n > 0 && a.N != n) || a.HeadJob == 0 {
				continue
			}
			path := jobs.AttemptLog(skyhome.Dir(), id, a.N)
			if _, err := os.Stat(path); err != nil && !a.Cleaned {
				continue // being saved
			}
			streamed[a.N] = true
			fmt.Fprintf(io.Err, "Logs of attempt %d (cluster %s):\n", a.N, a.Cluster)
			_ = catJobFile(io.Err, path, "(no logs were saved)", io)
		}
		if len(atts) > 0 {
			a := atts[len(atts)-1]
			if n > 0 && n <= len(atts) {
				a = atts[n-1]
			}
			if !streamed[a.N] && a.Phase == jobs.PhaseRunning && a.HeadJob > 0 {
				streamed[a.N] = true
				fmt.Fprintf(io.Err, "Streaming the logs of attempt %d (cluster %s) …\n", a.N, a.Cluster)
				_ = jc.Logs(ctx, a.Cluster, a.HeadJob, true, io.Err)
				continue
			}
			if n > 0 && a.Phase == jobs.PhaseEnded {
				return jobExit(j)
			}
		}
		if j.Status.Terminal() {
			return jobExit(j)
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(io.Err, "\nStopped following; job %d keeps running (skyplan jobs logs %d, skyplan jobs cancel %d).\n", id, id, id)
			return nil
		case <-time.After(time.Second):
		}
	}
}

func prefixedReason(j *jobs.Job) string {
	if j.FailureReason == "" {
		return ""
	}
	return " (" + j.FailureReason + ")"
}

func jobExit(j *jobs.Job) error {
	if j.Status == jobs.Succeeded || !j.Status.Terminal() {
		return nil
	}
	return Exit(ExitFailure, nil)
}

var _ = errors.New
var _ = context.Background
