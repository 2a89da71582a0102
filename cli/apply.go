package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// ApplyOptions are `skyplan apply`'s (alias launch) flags and argument.
type ApplyOptions struct {
	IO   *IO
	Task TaskOptions
	// Arg is a task YAML or a saved plan.
	Arg           string
	Cluster       string
	Yes           bool
	ProvisionOnly bool
	RetryUntilUp  bool
	Detach        bool
	SSHCIDRs      cli.StringSlice
	PortsCIDRs    cli.StringSlice
	Down          bool
	Keep          bool
	IdleMinutes   int
	NArgs         int
}

func init() { register(func(io *IO) *cli.Command { return newApplyCmd(io, runApply) }) }

func newApplyCmd(io *IO, runF func(*ApplyOptions) error) *cli.Command {
	o := &ApplyOptions{IO: io}
	flags := append(o.Task.flags(),
		&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Destination: &o.Cluster, Usage: "cluster `NAME` (default: the task's name)"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
		&cli.BoolFlag{Name: "provision-only", Destination: &o.ProvisionOnly, Usage: "stop once the infrastructure is up (no setup/run)"},
		&cli.BoolFlag{Name: "retry-until-up", Aliases: []string{"r"}, Destination: &o.RetryUntilUp, Usage: "when every placement fails, start over after a pause until one works"},
		&cli.BoolFlag{Name: "detach-run", Aliases: []string{"d"}, Destination: &o.Detach, Usage: "submit the job and return without streaming its logs"},
		sshCIDRFlag(&o.SSHCIDRs),
		&cli.StringSliceFlag{Name: "ports-cidr", Destination: &o.PortsCIDRs, Usage: "`CIDR` allowed to reach the task's ports (repeatable; default: ports_cidrs from config, else 0.0.0.0/0 with a warning)"},
		&cli.BoolFlag{Name: "down", Destination: &o.Down, Usage: "tear the cluster down after the job ends, whatever its result (with -d: autodown on the head once idle)"},
		&cli.BoolFlag{Name: "keep", Destination: &o.Keep, Usage: "pipelines: keep each task's cluster after the task (default: torn down once the task is done)"},
		&cli.IntFlag{Name: "idle-minutes-to-autostop", Aliases: []string{"i"}, Value: -1, Destination: &o.IdleMinutes, Usage: "stop the cluster after `N` idle minutes (with --down: tear it down)"},
	)
	return &cli.Command{
		Name:      "apply",
		Aliases:   []string{"launch"},
		Usage:     "provision a task's cluster through Terraform (with zone/region/cloud fallback), or apply a saved plan",
		ArgsUsage: "TASK.yaml | PLANFILE",
		Description: "With a task: optimise, compile, show the plan, ask `Proceed? [y/N]` (unless -y), then apply, failing over\n" +
			"to the next best placement on capacity/quota errors. With a PLANFILE from `skyplan plan --out`: apply\n" +
			"exactly that plan, no re-optimisation; a plan made before the state changed is refused.\n" +
			"Then wait for SSH on every node, sync the workdir and file mounts, upload bucket sources, run setup and\n" +
			"run, stream the logs and exit with the job's exit code. Applying to a cluster that is UP reuses it when\n" +
			"the task fits (no provisioning). `skyplan launch` is the same command.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			o.Arg, o.NArgs = c.Args().First(), c.NArg()
			return runF(o)
		},
	}
}

func runApply(o *ApplyOptions) error {
	io := o.IO
	io.useView("text")
	if o.NArgs != 1 {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "apply takes one argument",
			Detail: "Give a task file (skyplan apply task.yaml -c NAME) or a saved plan (skyplan apply PLANFILE)."})
	}
	if !looksLikeTask(o.Arg) {
		if _, err := os.Stat(cluster.SavedPlanSidecar(o.Arg)); err == nil {
			return applySavedPlan(o)
		}
		if _, err := os.Stat(o.Arg); err == nil {
			return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Not a skyplan plan",
				Detail:  fmt.Sprintf("%s is neither a task YAML nor a plan saved by `skyplan plan --out` (its %s is missing).", o.Arg, filepath.Base(cluster.SavedPlanSidecar(o.Arg))),
				Subject: &diag.Range{Filename: o.Arg}})
		}
	}
	return applyTask(o)
}

func applyTask(o *ApplyOptions) error {
	io, path := o.IO, o.Arg
	pl, ds := o.Task.loadPlannable(io, "apply", path)
	if ds.HasErrors() {
		return fail(ds)
	}
	if len(pl.Tasks) > 1 {
		return applyPipeline(o, pl, ds)
	}
	t := pl.Tasks[0]
	o.applyAutostop(t)
	if !o.Yes && !io.InTTY {
		return fail(ds, needConfirmation())
	}
	opts, ods := optimizerOptions(io, pl)
	ds = append(ds, ods...)
	if ods.HasErrors() {
		return fail(ds)
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	name := clusterName(o.Cluster, t, path)
	ds = append(ds, renamedCluster(o.Cluster)...)
	req := o.launchRequest(name, t, path)
	req.Optimizer = opts
	req.Planned = func(plan *optimizer.TaskPlan) { optimizer.WriteTable(io.Err, plan, t.Resources.Ordered) }
	res, lds := m.Launch(io.Interrupted, req)
	return o.finish(m, name, res, append(ds, lds...))
}

// launchRequest is what the flags ask of one cluster's launch.
func (o *ApplyOptions) launchRequest(name string, t *task.Task, path string) cluster.LaunchRequest {
	req := cluster.LaunchRequest{Cluster: name, Task: t, SSHCIDRs: o.SSHCIDRs.Value(), PortsCIDRs: o.PortsCIDRs.Value(), RetryUntilUp: o.RetryUntilUp,
		ProvisionOnly: o.ProvisionOnly, Detach: o.Detach, TaskFile: path}
	if !o.Yes {
		req.Confirm = confirmPlacement(o.IO, name)
	}
	return req
}

// confirmPlacement asks before a placement is applied (Terraform's
// summary) or an SSH node pool's hosts are taken (no summary).
func confirmPlacement(io *IO, name string) func(optimizer.Placement, *cluster.ChangeSummary) (bool, error) {
	return func(p optimizer.Placement, s *cluster.ChangeSummary) (bool, error) {
		if cluster.IsPool(p.Cloud) {
			return confirm(io, fmt.Sprintf("Launching cluster %q on SSH node pool %s. Proceed?", name, p.Region))
		}
		what := "no changes"
		if s != nil {
			what = fmt.Sprintf("%d to add, %d to change, %d to destroy", s.Add, s.Change, s.Remove)
		}
		return confirm(io, fmt.Sprintf("Cluster %q in %s (%s, $%.2f/h). Proceed?", name,
			cluster.InfraLabel(p.Cloud, p.Region, p.Zone), what, p.HourlyCost))
	}
}

// finish prints a launch's result, tears the cluster down after the job
// with --down, and exits with the job's code.
func (o *ApplyOptions) finish(m *cluster.Manager, name string, res *cluster.LaunchResult, ds diag.Diagnostics) error {
	io := o.IO
	if res != nil && res.Cluster != nil && !res.Reused {
		printUp(io, res.Cluster)
	}
	var job *cluster.JobResult
	if res != nil {
		job = res.Job
	}
	err := jobRunExit(io, name, job, o.Detach, ds)
	code, ds := outcome(err)
	if res != nil && res.Cluster != nil && o.Down && !o.Detach && !o.ProvisionOnly && io.Interrupted.Err() != nil {
		// Tearing down needs Terraform to run to its end, which an
		// interrupt is asking not to wait for; the Interrupted
		// diagnostic names the command instead.
		fmt.Fprintf(io.Err, "--down: not tearing down cluster %s after the interrupt; run `skyplan down %s`.\n", name, name)
	} else if res != nil && res.Cluster != nil && o.Down && !o.Detach && !o.ProvisionOnly {
		fmt.Fprintf(io.Err, "--down: tearing down cluster %s …\n", name)
		if _, dds := m.Down(io.Interrupted, cluster.DownRequest{Cluster: name}); dds.HasErrors() {
			if ds.HasErrors() {
				fmt.Fprintf(io.Err, "Tearing down %s failed: %v. Run `skyplan down %s`.\n", name, dds.Error(), name)
			} else {
				ds = append(ds, dds...)
			}
		} else {
			fmt.Fprintf(io.Err, "Cluster %s torn down.\n", name)
		}
	}
	if code == ExitOK && ds.HasErrors() {
		code = ExitFailure
	}
	return Exit(code, ds)
}

// jobRunExit ends a command that ran a job: an error when skyplan could not
// run it, else the job's exit code with its failure described.
func jobRunExit(io *IO, name string, job *cluster.JobResult, detach bool, ds diag.Diagnostics) error {
	if ds.HasErrors() {
		return fail(ds)
	}
	ds = append(ds, jobDiags(io, name, job, detach)...)
	if job != nil && job.ExitCode != 0 && !detach {
		return Exit(job.ExitCode, ds)
	}
	return done(ds)
}

// jobDiags describes a job's end: the job id on stdout when detached, a
// failure as an error diagnostic, success as a note on stderr.
func jobDiags(io *IO, name string, job *cluster.JobResult, detach bool) diag.Diagnostics {
	switch {
	case job == nil:
		return nil
	case detach:
		fmt.Fprintln(io.Out, job.ID)
		return nil
	case job.ExitCode != 0:
		return diag.Diagnostics{{Severity: diag.Error, Summary: job.Message,
			Detail: fmt.Sprintf("Logs: %s (and `skyplan logs %s %d`).", job.LogDir, name, job.ID)}}
	}
	fmt.Fprintf(io.Err, "Job %d on cluster %s succeeded. Logs: %s\n", job.ID, name, job.LogDir)
	return nil
}

// applyAutostop wires -i N and --down into the task's autostop policy.
// --down without -d is done after the job (finish); with -d skyplan is
// gone when the job ends, so the head tears itself down once idle
// (SkyPilot's autodown).
func (o *ApplyOptions) applyAutostop(t *task.Task) {
	switch {
	case o.IdleMinutes >= 0:
		withAutostop(t, o.IdleMinutes, o.Down)
	case o.Down && o.Detach:
		withAutostop(t, 1, true)
	}
}

// withAutostop sets the autostop policy of every candidate (apply -i N,
// --down with -d), keeping a hook or wait_for the task already gave.
func withAutostop(t *task.Task, idleMinutes int, down bool) {
	for i := range t.Resources.Items {
		a := t.Resources.Items[i].Autostop
		if a == nil {
			a = &task.Autostop{}
		}
		cp := *a
		cp.Enabled, cp.IdleMinutes = true, idleMinutes
		cp.Down = cp.Down || down
		t.Resources.Items[i].Autostop = &cp
	}
}

// applySavedPlan applies exactly a plan saved by `skyplan plan --out`,
// then runs the plan's task (unless --provision-only).
func applySavedPlan(o *ApplyOptions) error {
	io := o.IO
	meta, err := cluster.ReadSavedPlan(o.Arg)
	if err != nil {
		return fail(nil, err)
	}
	var ds diag.Diagnostics
	req := cluster.ApplySavedRequest{PlanFile: o.Arg, Detach: o.Detach}
	if !o.ProvisionOnly && meta.Task != "" {
		pl, tds := o.Task.load(io, "apply", meta.Task)
		if ds = tds; ds.HasErrors() {
			return fail(ds)
		}
		req.Task = pl.Tasks[0]
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	res, ads := m.ApplySaved(io.Interrupted, req)
	return o.finish(m, meta.Cluster, res, append(ds, ads...))
}

// printUp writes the result: the cluster and its nodes (stdout).
func printUp(io *IO, c *state.Cluster) {
	fmt.Fprintf(io.Out, "Cluster %s is UP: %s, %s, $%.4f/h\n", c.Name, cluster.PlacedLabel(c.Cloud, c.Region, c.Zone, cluster.AccountZone(c)),
		cluster.ResourcesLabel(c.NumNodes, c.InstanceType, c.Accelerators, c.UseSpot), c.HourlyCost)
	for _, n := range c.Nodes {
		fmt.Fprintf(io.Out, "  node %d  %s  private %s  public %s\n", n.Rank, n.InstanceID, n.PrivateIP, n.PublicIP)
	}
}
