package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/runner/sshpool"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// planTerraform is the `skyplan plan` path without --dryrun (compile the
// chosen placements to Terraform and show terraform's plan). The compiler
// side sets it from its own file; until then plan needs --dryrun.
var planTerraform func(c *cli.Context, io *IO, pl *task.Pipeline, plans []*optimizer.TaskPlan, opts optimizer.Options) error

func planFlags() []cli.Flag {
	flags := append(taskFlags(),
		&cli.BoolFlag{Name: "dryrun", Usage: "only choose placements and print them; compile nothing"},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT`: table, json (only the plan on stdout) or markdown (a pull-request comment; not with --dryrun)"},
	)
	flags = append(flags, terraformPlanFlags()...)
	return append(flags, pipelineFlags...)
}

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "plan",
			Usage:     "choose the cheapest feasible placement for a task and show it",
			ArgsUsage: "TASK.yaml",
			Flags:     planFlags(),
			Action:    func(c *cli.Context) error { return runPlan(c, io) },
		}
	})
}

func runPlan(c *cli.Context, io *IO) error {
	if out := c.String("output"); out != "table" && out != "json" && out != "markdown" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid output format",
			Detail: fmt.Sprintf("-o must be table, json or markdown, got %q.", out), Field: "--output"}})
	}
	if c.String("output") == "markdown" && c.Bool("dryrun") {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "-o markdown needs a Terraform plan",
			Detail: "The markdown review lists Terraform's changes, which --dryrun does not compute. Drop --dryrun, or use -o table/json with it.", Field: "--output"}})
	}
	if c.NArg() > 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
			Detail: "plan takes one task file; put flags before or after it."}})
	}
	pl, ds := loadTaskFromFlags(c, io, c.Args().First())
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	ds = append(ds, refuseUnplannable(pl)...)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	opts, ods := optimizerOptions(io, pl)
	if ods.HasErrors() {
		return Exit(ExitFailure, append(ds, ods...))
	}
	if len(pl.Tasks) > 1 {
		if c.String("output") == "markdown" {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "-o markdown reviews a single task",
				Detail: "Pipelines have no saved Terraform plan to review yet. Use -o table or json.", Field: "--output"}})
		}
		writeWarnings(c, io, ds)
		return planPipelineWith(c, io, pl, opts)
	}
	plan, pds := optimizer.Optimize(pl.Tasks[0], opts)
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	writeWarnings(c, io, ds)
	if c.String("output") != "json" {
		// SkyPilot's "Multiple ... instances satisfy" notes: stderr, so
		// stdout keeps only the result.
		optimizer.WriteHints(io.Err, plan)
	}
	if c.Bool("dryrun") {
		return printPlans(c, io, pl, []*optimizer.TaskPlan{plan})
	}
	if planTerraform == nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Terraform plan is not available in this build",
			Detail: "Run `skyplan plan --dryrun " + c.Args().First() + "` to see the chosen placement."}})
	}
	return planTerraform(c, io, pl, []*optimizer.TaskPlan{plan}, opts)
}

// refuseUnplannable rejects what plan cannot handle yet, located at the field.
func refuseUnplannable(pl *task.Pipeline) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, t := range pl.Tasks {
		for _, f := range []struct {
			set  bool
			name string
		}{{t.Service != nil, "service"}, {t.Pool != nil, "pool"}} {
			if !f.set {
				continue
			}
			ds = append(ds, diag.Diagnostic{Severity: diag.Error,
				Summary: fmt.Sprintf("%q is not supported yet", f.name),
				Detail: fmt.Sprintf("skyplan plans single tasks and pipelines; SkyServe %ss are not supported yet. Remove the %s section to plan the task itself.",
					map[string]string{"service": "service", "pool": "pool"}[f.name], f.name),
				Subject: t.Source.Range(f.name), Field: f.name})
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
	cat, err := loadCatalog()
	if err != nil {
		return optimizer.Options{}, diag.Diagnostics{}.Append(err)
	}
	opts := optimizer.Options{Catalog: cat}
	useEnabledClouds(io, pl, &opts)
	for _, t := range pl.Tasks {
		for _, r := range t.Resources.Items {
			if strings.EqualFold(r.Infra.Cloud, "ssh") && opts.SSHPools == nil {
				sizes, ds := sshpool.PoolSizes()
				if ds.HasErrors() {
					return opts, ds
				}
				opts.SSHPools = sizes
			}
		}
	}
	return opts, nil
}

func writeWarnings(c *cli.Context, io *IO, ds diag.Diagnostics) {
	if len(ds) == 0 {
		return
	}
	if c.String("output") == "json" || c.Bool("json-diagnostics") {
		_ = diag.WriteJSON(io.Err, ds)
		return
	}
	diag.WriteText(io.Err, ds)
}

// printPlans writes single-task plans as SkyPilot's table or as JSON.
func printPlans(c *cli.Context, io *IO, pl *task.Pipeline, plans []*optimizer.TaskPlan) error {
	if c.String("output") == "json" {
		return optimizer.WriteJSON(io.Out, plans...)
	}
	for i, p := range plans {
		optimizer.WriteTable(io.Out, p, pl.Tasks[i].Resources.Ordered)
	}
	return nil
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
