package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// terraformPlanFlags are the flags of `skyplan plan` without --dryrun;
// plan.go appends them.
func terraformPlanFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Usage: "cluster `NAME` the plan is for (default: the task's name)"},
		&cli.StringFlag{Name: "out", Usage: "save the Terraform plan to `PLANFILE` for `skyplan apply PLANFILE` (default: in the cluster directory)"},
		&cli.BoolFlag{Name: "detailed-exitcode", Usage: "exit 0 when there are no changes, 2 when there are, 1 on errors"},
	}
}

func init() { planTerraform = planWithTerraform }

// planWithTerraform compiles the chosen placement into the cluster's
// directory and runs `terraform plan -out`, printing the considered
// resources, the resource summary and the hourly cost.
func planWithTerraform(c *cli.Context, io *IO, pl *task.Pipeline, plans []*optimizer.TaskPlan, opts optimizer.Options) error {
	t, plan := pl.Tasks[0], plans[0]
	if plan == nil || plan.Chosen == nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No feasible placement"}})
	}
	p := *plan.Chosen
	if p.Cloud == "ssh" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "SSH node pools have no Terraform plan",
			Detail: "The task runs on an SSH node pool, where skyplan creates nothing. Use `skyplan plan --dryrun` to see the placement."}})
	}
	if p.NumNodes == 0 {
		p.NumNodes = t.NumNodes
	}
	// A saved plan is one exact placement: a region-level choice gets its
	// first zone (apply of a task file fails over through the others).
	if p.Zone == "" && len(p.Zones) > 0 {
		p.Zone = p.Zones[0]
	}
	name := clusterName(c.String("cluster"), t, c.Args().First())
	format := c.String("output")
	if format == "table" {
		optimizer.WriteTable(io.Out, plan, t.Resources.Ordered)
	}
	sess, err := openClusterSession(io, name, "plan")
	if err != nil {
		return err
	}
	defer sess.close()
	cfg, store, ws := sess.cfg, sess.store, sess.ws
	existing, _ := store.GetCluster(name)
	if sc := existing; sc != nil && sc.EverUp && (sc.Cloud != p.Cloud || sc.Region != p.Region) {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster exists elsewhere",
			Detail: fmt.Sprintf("Cluster %q is in %s; skyplan does not move a cluster that was UP. Use another -c name, or `skyplan down %s` first.",
				name, provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone), name)}})
	}
	dir := skyhome.ClusterDir(name)
	if err := clusterGenerator(io, t, name, cfg, nil)(p, dir); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if err := ws.Init(io.Interrupted); err != nil {
		return Exit(ExitFailure, terraformDiags(err, name))
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join(dir, "skyplan.tfplan")
	}
	out = absPath(out)
	changes, res, err := ws.Plan(io.Interrupted, provision.PlanOptions{Out: out})
	if err != nil {
		return Exit(ExitFailure, terraformDiags(err, name))
	}
	if err := writePlanMeta(out, planMeta{Cluster: name, Dir: dir, Task: absPath(c.Args().First()), NumNodes: p.NumNodes, Placement: p}); err != nil {
		return err
	}
	if format != "table" {
		shown := c.String("out")
		if shown == "" {
			shown = out
		}
		err := writePlanReview(io, format, ws, out, reviewInput{Cluster: name, Plan: plan, Ordered: t.Resources.Ordered, Chosen: p,
			Existing: existing, PlanFile: shown, Ports: requestOf(t, p).Ports, SSHCIDRs: cfg.SSHCIDRs, UsePrivateIP: cfg.Cloud(p.Cloud).UsePrivateIP})
		if err != nil {
			return err
		}
		if changes && c.Bool("detailed-exitcode") {
			return Exit(ExitChanges, nil)
		}
		return nil
	}
	s := res.Summary
	if s == nil {
		s = &provision.ChangeSummary{}
	}
	fmt.Fprintf(io.Out, "\nCluster %s: %s, %s\n", name, provision.InfraLabel(p.Cloud, p.Region, p.Zone), provision.ResourcesLabel(p.NumNodes, p.InstanceType, p.Accelerators, p.UseSpot))
	fmt.Fprintf(io.Out, "Resources: %d to add, %d to change, %d to destroy.\n", s.Add, s.Change, s.Remove)
	fmt.Fprintf(io.Out, "Cost: $%.4f / hour for %d node(s)\n", p.HourlyCost, p.NumNodes)
	fmt.Fprintf(io.Out, "Saved plan: %s (apply it with `skyplan apply %s`)\n", out, out)
	if changes && c.Bool("detailed-exitcode") {
		return Exit(ExitChanges, nil)
	}
	return nil
}

// applySavedPlan applies exactly a plan saved by `skyplan plan --out`.
func applySavedPlan(c *cli.Context, io *IO, planFile string) error {
	meta, err := readPlanMeta(planFile)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	planFile = absPath(planFile)
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	release, err := lockCluster(store, meta.Cluster, "apply")
	if err != nil {
		return err
	}
	defer release()
	ws, err := openWorkspace(io, meta.Dir)
	if err != nil {
		return err
	}
	p := meta.Placement
	everUp := false
	if sc, err := store.GetCluster(meta.Cluster); err == nil {
		everUp = sc.EverUp
	}
	if err := provision.RecordInit(store, meta.Cluster, p, meta.NumNodes, meta.Dir, map[string]string{"task": meta.Task}); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	ctx := io.Interrupted
	if err := ws.Init(ctx); err != nil {
		return Exit(ExitFailure, terraformDiags(err, meta.Cluster))
	}
	fmt.Fprintf(io.Err, "Applying saved plan %s for cluster %s (%s) …\n", planFile, meta.Cluster, provision.InfraLabel(p.Cloud, p.Region, p.Zone))
	if _, err := ws.Apply(ctx, planFile); err != nil {
		var te *provision.TerraformError
		if errors.As(err, &te) && te.StalePlan() {
			forgetIfNothing(ctx, ws, store, meta.Cluster, everUp)
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Saved plan is stale",
				Detail: fmt.Sprintf("The state of cluster %q changed after %s was made, so applying it could undo or duplicate work. Make a new plan with `skyplan plan %s -c %s --out %s` and apply that.",
					meta.Cluster, planFile, meta.Task, meta.Cluster, planFile),
				Subject: &diag.Range{Filename: planFile}}})
		}
		if errors.As(err, &te) && !te.Interrupted() && !te.Locked() && !everUp {
			cls := provision.Classify(p.Cloud, te.Text())
			fmt.Fprintf(io.Err, "%s error in %s (%s); a saved plan does not fail over. Destroying what it created …\n", cls.Class, provision.InfraLabel(p.Cloud, p.Region, p.Zone), cls.Code)
			if _, derr := ws.Destroy(ctx); derr == nil {
				forgetIfNothing(ctx, ws, store, meta.Cluster, everUp)
			}
		}
		return Exit(ExitFailure, terraformDiags(err, meta.Cluster))
	}
	nodes, err := ws.Nodes(ctx)
	if err != nil {
		return Exit(ExitFailure, terraformDiags(err, meta.Cluster))
	}
	sc, err := provision.MarkUp(store, meta.Cluster, p, meta.NumNodes, nodes)
	if err != nil {
		return err
	}
	printUp(io, sc)
	if c.Bool("provision-only") || meta.Task == "" {
		return nil
	}
	pl, ds := loadTaskFromFlags(c, io, meta.Task)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	return runOnCluster(c, io, store, pl.Tasks[0], sc)
}

// forgetIfNothing drops a never-UP cluster's record when its state is empty.
func forgetIfNothing(ctx context.Context, ws *provision.Workspace, store *state.Store, name string, everUp bool) {
	if everUp {
		return
	}
	if n, err := ws.ManagedInstances(ctx); err == nil && n == 0 {
		_ = store.DeleteCluster(name)
	}
}
