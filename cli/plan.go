package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/pipeline"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// PlanOptions are `skyplan plan`'s flags and argument.
type PlanOptions struct {
	IO     *IO
	Task   TaskOptions
	Path   string
	NArgs  int
	DryRun bool
	Output string
	// Without --dryrun: the cluster, the saved plan and its exit code.
	Cluster          string
	Out              string
	DetailedExitCode bool
	PortsCIDRs       cli.StringSlice
	SSHCIDRs         cli.StringSlice
	// Pipelines.
	Minimize        string
	BandwidthGbps   float64
	BandwidthGbpsOn bool
}

func init() { register(func(io *IO) *cli.Command { return newPlanCmd(io, runPlan) }) }

func newPlanCmd(io *IO, runF func(*PlanOptions) error) *cli.Command {
	o := &PlanOptions{IO: io}
	flags := append(o.Task.flags(),
		&cli.BoolFlag{Name: "dryrun", Destination: &o.DryRun, Usage: "only choose placements and print them; compile nothing"},
		&cli.StringSliceFlag{Name: "ports-cidr", Destination: &o.PortsCIDRs, Usage: "`CIDR` allowed to reach the task's ports (repeatable; default: ports_cidrs from config, else 0.0.0.0/0 with a warning)"},
		sshCIDRFlag(&o.SSHCIDRs),
		outputFlag(&o.Output, "table", "table, json (only the plan on stdout) or markdown (a pull-request comment; not with --dryrun)"),
		&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Destination: &o.Cluster, Usage: "cluster `NAME` the plan is for (default: the task's name)"},
		&cli.StringFlag{Name: "out", Destination: &o.Out, Usage: "save the Terraform plan to `PLANFILE` for `skyplan apply PLANFILE` (default: in the cluster directory)"},
		&cli.BoolFlag{Name: "detailed-exitcode", Destination: &o.DetailedExitCode, Usage: "exit 0 when there are no changes, 2 when there are, 1 on errors"},
		&cli.StringFlag{Name: "minimize", Value: "cost", Destination: &o.Minimize, Usage: "pipeline objective: `cost` (dollars, egress included) or time (hours, transfers included)"},
		&cli.Float64Flag{Name: "bandwidth-gbps", Value: pipeline.DefaultBandwidthGbps, Destination: &o.BandwidthGbps, Usage: "assumed `GBPS` between clouds when estimating pipeline transfer times",
			Action: func(*cli.Context, float64) error { o.BandwidthGbpsOn = true; return nil }},
	)
	return &cli.Command{
		Name:      "plan",
		Usage:     "choose the cheapest feasible placement for a task and show it",
		ArgsUsage: "TASK.yaml",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			o.Path, o.NArgs = c.Args().First(), c.NArg()
			return runF(o)
		},
	}
}

func runPlan(o *PlanOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json", "markdown"); err != nil {
		return err
	}
	if o.Output == "markdown" && o.DryRun {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "-o markdown needs a Terraform plan",
			Detail: "The markdown review lists Terraform's changes, which --dryrun does not compute. Drop --dryrun, or use -o table/json with it.", Field: "--output"})
	}
	if o.NArgs > 1 {
		return tooManyArgs("plan")
	}
	o.Task.localPathsOnlyWarn = o.DryRun
	pl, ds := o.Task.loadPlannable(io, "plan", o.Path)
	if ds.HasErrors() {
		return fail(ds)
	}
	opts, ods := optimizerOptionsFor(io, pl, o.DryRun)
	ds = append(ds, ods...)
	if ods.HasErrors() {
		return fail(ds)
	}
	if len(pl.Tasks) > 1 {
		if o.Output == "markdown" {
			return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "-o markdown reviews a single task",
				Detail: "Pipelines have no saved Terraform plan to review yet. Use -o table or json.", Field: "--output"})
		}
		return planPipeline(o, pl, opts, ds)
	}
	plan, pds := optimizer.Optimize(pl.Tasks[0], opts)
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return fail(ds)
	}
	if !io.jsonView() {
		// SkyPilot's "Multiple ... instances satisfy" notes: stderr, so
		// stdout keeps only the result.
		optimizer.WriteHints(io.Err, plan)
	}
	if o.DryRun {
		if io.jsonView() {
			io.setResult(optimizer.PlanDocument(plan))
		} else {
			optimizer.WriteTable(io.Out, plan, pl.Tasks[0].Resources.Ordered)
		}
		return done(ds)
	}
	return planWithTerraform(o, pl.Tasks[0], plan, ds)
}

// planWithTerraform compiles the chosen placement into the cluster's
// directory and runs `terraform plan -out`, printing the considered
// resources, the resource summary and the hourly cost (or the review).
func planWithTerraform(o *PlanOptions, t *task.Task, plan *optimizer.TaskPlan, ds diag.Diagnostics) error {
	io := o.IO
	if plan == nil || plan.Chosen == nil {
		return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No feasible placement"})
	}
	name := clusterName(o.Cluster, t, o.Path)
	ds = append(ds, renamedCluster(o.Cluster)...)
	if o.Output == "table" && !cluster.IsPool(plan.Chosen.Cloud) {
		optimizer.WriteTable(io.Out, plan, t.Resources.Ordered)
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	res, pds := m.Plan(io.Interrupted, cluster.PlanRequest{Cluster: name, Task: t, Placement: *plan.Chosen,
		Out: o.Out, TaskFile: absPath(o.Path), Show: o.Output != "table", PortsCIDRs: o.PortsCIDRs.Value(), SSHCIDRs: o.SSHCIDRs.Value()})
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return fail(ds)
	}
	code := ExitOK
	if res.Changes && o.DetailedExitCode {
		code = ExitChanges
	}
	p := res.Placement
	if o.Output != "table" {
		shown := o.Out
		if shown == "" {
			shown = res.PlanFile
		}
		cfg := m.Config()
		r := buildReview(reviewInput{Cluster: name, Plan: plan, Ordered: t.Resources.Ordered, Chosen: p, TF: res.Terraform,
			Existing: res.Existing, PlanFile: shown, Ports: requestOf(t, p).Ports, SSHCIDRs: res.SSH.CIDRs, PortsCIDRs: portsCIDRs(o.PortsCIDRs.Value(), cfg.PortsCIDRs), UsePrivateIP: cfg.Cloud(p.Cloud).UsePrivateIP})
		if io.jsonView() {
			io.setResult(r)
		} else {
			writeReviewMarkdown(io.Out, r)
		}
		return Exit(code, ds)
	}
	s := res.Summary
	fmt.Fprintf(io.Out, "\nCluster %s: %s, %s\n", name, cluster.InfraLabel(p.Cloud, p.Region, p.Zone), cluster.ResourcesLabel(p.NumNodes, p.InstanceType, p.Accelerators, p.UseSpot))
	fmt.Fprintln(io.Out, res.SSH)
	fmt.Fprintf(io.Out, "Resources: %d to add, %d to change, %d to destroy.\n", s.Add, s.Change, s.Remove)
	fmt.Fprintf(io.Out, "Cost: $%.4f / hour for %d node(s)\n", p.HourlyCost, p.NumNodes)
	fmt.Fprintf(io.Out, "Saved plan: %s (apply it with `skyplan apply %s`)\n", res.PlanFile, res.PlanFile)
	return Exit(code, ds)
}

// refuseUnplannable rejects what plan cannot handle yet, located at the
// field, and warns about what it ignores.
func refuseUnplannable(pl *task.Pipeline) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, t := range pl.Tasks {
		// As `sky launch`: a service section does not stop the task from
		// running; serving it is `skyplan serve up`'s job.
		if t.Service != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Warning,
				Summary: `The "service" section is ignored`,
				Detail:  fmt.Sprintf("plan and apply run the task itself, without replicas or a load balancer. To serve it, run `skyplan serve up %s`.", t.Source.File),
				Subject: t.Source.Range("service"), Field: "service"})
		}
		if t.Pool != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error,
				Summary: `"pool" is not supported yet`,
				Detail:  "skyplan plans single tasks and pipelines; SkyServe pools are not supported yet. Remove the pool section to plan the task itself.",
				Subject: t.Source.Range("pool"), Field: "pool"})
		}
	}
	if pl.Execution == "parallel" {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: `"execution: parallel" is not supported yet`,
			Detail:  "skyplan plans pipelines as chains. Remove execution: parallel to plan the tasks as a chain.",
			Subject: headerKeyRange(pl.File, "execution"), Field: "execution"})
	}
	return ds
}

// optimizerOptions gathers the optimizer's inputs: the catalog, the clouds
// the last `skyplan check` enabled (all when it never ran) and, when a task
// pins an SSH node pool, the pools' sizes.
func optimizerOptions(io *IO, pl *task.Pipeline) (optimizer.Options, diag.Diagnostics) {
	return optimizerOptionsFor(io, pl, false)
}

// optimizerOptionsFor with priceOnly is for commands that only price a task
// (plan --dryrun, compile): they need no enabled cloud.
func optimizerOptionsFor(io *IO, pl *task.Pipeline, priceOnly bool) (optimizer.Options, diag.Diagnostics) {
	cat, err := loadCatalog()
	if err != nil {
		return optimizer.Options{}, diag.Diagnostics{}.Append(err)
	}
	opts := optimizer.Options{Catalog: cat}
	if ds := useEnabledClouds(io, pl, &opts, priceOnly); ds.HasErrors() {
		return opts, ds
	}
	for _, t := range pl.Tasks {
		for _, r := range t.Resources.Items {
			if cluster.IsPool(r.Infra.Cloud) && opts.SSHPools == nil {
				sizes, ds := cluster.PoolSizes()
				if ds.HasErrors() {
					return opts, ds
				}
				opts.SSHPools = sizes
			}
		}
	}
	return opts, nil
}

// headerKeyRange locates a top-level key of a pipeline's header document
// (the parser keeps positions per task, not for the header).
func headerKeyRange(file, key string) *diag.Range {
	r := &diag.Range{Filename: file}
	data, err := os.ReadFile(file)
	if err != nil {
		return r
	}
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, key+":") {
			r.Start = diag.Pos{Line: i + 1, Column: 1}
			r.End = diag.Pos{Line: i + 1, Column: len(key) + 1}
			return r
		}
	}
	return r
}

// portsCIDRs is what the compiler opened the task ports to: the flag, else
// config ports_cidrs (the review's fallback when a plan has no variables).
func portsCIDRs(flag, config []string) []string {
	if len(flag) > 0 {
		return flag
	}
	return config
}
