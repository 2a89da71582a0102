package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		flags := append(taskFlags(),
			&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Usage: "cluster `NAME` (default: the task's name)"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			&cli.BoolFlag{Name: "provision-only", Usage: "stop once the infrastructure is up (no setup/run)"},
			&cli.BoolFlag{Name: "retry-until-up", Aliases: []string{"r"}, Usage: "when every placement fails, start over after a pause until one works"},
			&cli.BoolFlag{Name: "detach-run", Aliases: []string{"d"}, Usage: "submit the job and return without streaming its logs"},
			&cli.StringSliceFlag{Name: "ssh-cidr", Usage: "`CIDR` allowed to SSH to the nodes (repeatable; default: ssh_cidrs from config)"},
			&cli.BoolFlag{Name: "down", Usage: "tear the cluster down after the job ends, whatever its result (with -d: autodown on the head once idle)"},
			&cli.BoolFlag{Name: "keep", Usage: "pipelines: keep each task's cluster after the task (default: torn down once the task is done)"},
			&cli.IntFlag{Name: "idle-minutes-to-autostop", Aliases: []string{"i"}, Value: -1, Usage: "stop the cluster after `N` idle minutes (with --down: tear it down)"},
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
			Flags:  flags,
			Action: func(c *cli.Context) error { return runApply(c, io) },
		}
	})
}

func runApply(c *cli.Context, io *IO) error {
	if c.NArg() != 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "apply takes one argument",
			Detail: "Give a task file (skyplan apply task.yaml -c NAME) or a saved plan (skyplan apply PLANFILE)."}})
	}
	arg := c.Args().First()
	if !looksLikeTask(arg) {
		if _, err := os.Stat(planMetaPath(arg)); err == nil {
			return applySavedPlan(c, io, arg)
		}
		if _, err := os.Stat(arg); err == nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Not a skyplan plan",
				Detail:  fmt.Sprintf("%s is neither a task YAML nor a plan saved by `skyplan plan --out` (its %s is missing).", arg, filepath.Base(planMetaPath(arg))),
				Subject: &diag.Range{Filename: arg}}})
		}
	}
	return applyTask(c, io, arg)
}

func applyTask(c *cli.Context, io *IO, path string) error {
	pl, ds := loadTaskFromFlags(c, io, path)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	ds = append(ds, refuseUnplannable(pl)...)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if len(pl.Tasks) > 1 {
		return applyPipeline(c, io, pl, path, ds)
	}
	t := pl.Tasks[0]
	applyAutostopFlags(c, t)
	if !c.Bool("yes") && !io.InTTY {
		_, err := confirm(io, "")
		return err
	}
	name := clusterName(c.String("cluster"), t, path)
	if done, err := reuseUpCluster(c, io, t, name); done {
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
	writeWarnings(c, io, ds)
	optimizer.WriteTable(io.Err, plan, t.Resources.Ordered)
	if plan.Chosen.Cloud == "ssh" {
		if !c.Bool("yes") {
			if ok, err := confirm(io, fmt.Sprintf("Launching cluster %q on SSH node pool %s. Proceed?", name, plan.Chosen.Region)); err != nil || !ok {
				return abortedOr(err)
			}
		}
		err := launchOnSSHPool(c, io, t, *plan.Chosen, name, c.Bool("detach-run"))
		return downAfterJob(c, io, nil, name, err)
	}
	return launchOnCloud(c, io, t, name, path, optimizerPlanner(t, opts), !c.Bool("yes"))
}

// launchOnCloud provisions cluster name through Terraform with planner's
// placements (fallback on capacity errors), then runs t on it. ask
// confirms each placement before it is applied.
func launchOnCloud(c *cli.Context, io *IO, t *task.Task, name, path string, planner provision.Planner, ask bool) error {
	sess, err := openClusterSession(io, name, "apply")
	if err != nil {
		return err
	}
	defer sess.close()
	cfg, store, ws := sess.cfg, sess.store, sess.ws
	l := &provision.Launcher{
		Cluster: name, NumNodes: t.NumNodes, WS: ws, Store: store,
		Plan:         planner,
		Generate:     clusterGenerator(io, t, name, cfg, c.StringSlice("ssh-cidr")),
		Log:          io.Err,
		RetryUntilUp: c.Bool("retry-until-up"),
		Extra:        map[string]string{"task": absPath(path)},
	}
	if existing, err := store.GetCluster(name); err == nil && existing.EverUp {
		if !taskFits(t, existing) {
			return Exit(ExitFailure, diag.Diagnostics{misfitDiag(t, existing)})
		}
		if existing.Status == state.StatusStopped {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is stopped",
				Detail: fmt.Sprintf("Cluster %q is STOPPED. Start it with `skyplan start %s`, then apply again.", name, name)}})
		}
		// A cluster that was UP stays where it is (SkyPilot): only its
		// previous placement is tried, and nothing is moved on failure.
		l.Plan = provision.CandidatePlanner([]optimizer.Placement{placementOf(existing)})
		l.NoFailover = true
	}
	if ask {
		l.Confirm = func(p optimizer.Placement, s *provision.ChangeSummary) (bool, error) {
			what := "no changes"
			if s != nil {
				what = fmt.Sprintf("%d to add, %d to change, %d to destroy", s.Add, s.Change, s.Remove)
			}
			return confirm(io, fmt.Sprintf("Cluster %q in %s (%s, $%.2f/h). Proceed?", name,
				provision.InfraLabel(p.Cloud, p.Region, p.Zone), what, p.HourlyCost))
		}
	}
	out, err := l.Launch(io.Interrupted)
	if err != nil {
		return launchError(io, err, name, t.NumNodes)
	}
	printUp(io, out.Cluster)
	if c.Bool("provision-only") {
		return nil
	}
	return runOnCluster(c, io, store, t, out.Cluster)
}

// runOnCluster hands a freshly provisioned cluster to the runner (setup,
// run, logs), as the SSH-pool path does.
func runOnCluster(c *cli.Context, io *IO, store *state.Store, t *task.Task, sc *state.Cluster) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cl, err := runner.ClusterFromState(sc, cfg)
	if err != nil {
		return err
	}
	r := &runner.Runner{Stderr: io.Err, Store: store}
	baseDir := ""
	if t.Source.File != "" {
		baseDir = filepath.Dir(t.Source.File)
	}
	if err := uploadBuckets(io.Interrupted, io, t, sc, baseDir); err != nil {
		return downAfterJob(c, io, store, sc.Name, Exit(ExitFailure, diag.Diagnostics{}.Append(err)))
	}
	res, err := r.Launch(io.Interrupted, cl, t, runner.LaunchOptions{Detach: c.Bool("detach-run"), BaseDir: baseDir})
	return downAfterJob(c, io, store, sc.Name, jobResult(io, sc.Name, res, err, c.Bool("detach-run")))
}

// applyAutostopFlags wires -i N and --down into the task's autostop policy.
// --down without -d is done here, after the job (downAfterJob); with -d
// skyplan is gone when the job ends, so the head tears itself down once
// idle (SkyPilot's autodown).
func applyAutostopFlags(c *cli.Context, t *task.Task) {
	idle := c.Int("idle-minutes-to-autostop")
	down := c.Bool("down") && c.Bool("detach-run")
	switch {
	case idle >= 0:
		withAutostop(t, idle, c.Bool("down"))
	case down:
		withAutostop(t, 1, true)
	}
}

// downAfterJob tears the cluster down after a foreground job when --down
// was given. The command still exits with the job's result (jobErr); a
// failed teardown is reported, and is the error only when the job succeeded.
func downAfterJob(c *cli.Context, io *IO, store *state.Store, name string, jobErr error) error {
	if !c.Bool("down") || c.Bool("detach-run") || c.Bool("provision-only") {
		return jobErr
	}
	if store == nil {
		s, err := openStore()
		if err != nil {
			return errors.Join(jobErr, err)
		}
		defer s.Close()
		store = s
	}
	fmt.Fprintf(io.Err, "--down: tearing down cluster %s …\n", name)
	if err := downOne(io, store, name); err != nil {
		if jobErr != nil {
			fmt.Fprintf(io.Err, "Tearing down %s failed: %v. Run `skyplan down %s`.\n", name, err, name)
			return jobErr
		}
		return err
	}
	fmt.Fprintf(io.Err, "Cluster %s torn down.\n", name)
	return jobErr
}

func launchError(io *IO, err error, name string, numNodes int) error {
	var ex *provision.ExhaustedError
	if errors.As(err, &ex) {
		fmt.Fprintln(io.Err, "Reasons for provision failures:")
		ex.WriteTable(io.Err, numNodes)
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Failed to provision all possible launchable resources",
			Detail: "Every placement failed (see the table above). Relax the task's resource requirements, try other clouds, or run again with --retry-until-up."}})
	}
	if errors.Is(err, provision.ErrAborted) {
		return abortedOr(nil)
	}
	return Exit(ExitFailure, terraformDiags(err, name))
}

func abortedOr(err error) error {
	if err != nil {
		return err
	}
	return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Aborted", Detail: "Nothing was created."}})
}

// printUp writes the result: the cluster and its nodes (stdout).
func printUp(io *IO, c *state.Cluster) {
	fmt.Fprintf(io.Out, "Cluster %s is UP: %s, %s, $%.4f/h\n", c.Name, provision.InfraLabel(c.Cloud, c.Region, c.Zone),
		provision.ResourcesLabel(c.NumNodes, c.InstanceType, c.Accelerators, c.UseSpot), c.HourlyCost)
	for _, n := range c.Nodes {
		fmt.Fprintf(io.Out, "  node %d  %s  private %s  public %s\n", n.Rank, n.InstanceID, n.PrivateIP, n.PublicIP)
	}
}

// placementOf is the placement a cluster was launched with.
func placementOf(sc *state.Cluster) optimizer.Placement {
	return optimizer.Placement{Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone,
		InstanceType: sc.InstanceType, Accelerators: sc.Accelerators, UseSpot: sc.UseSpot,
		HourlyCost: sc.HourlyCost, NumNodes: sc.NumNodes}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
