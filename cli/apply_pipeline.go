package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/pipeline"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// applyPipeline runs a pipeline's tasks in order, each on the placement the
// pipeline optimizer chose for it (so cross-cloud egress is priced in), on
// its own cluster <pipeline>-<task>. Data passes between tasks through the
// buckets the tasks declare. A task's cluster is torn down once the task
// has finished, since no later task runs on it (--keep keeps them all); a
// failing task stops the pipeline and is named.
func applyPipeline(c *cli.Context, io *IO, pl *task.Pipeline, path string, ds diag.Diagnostics) error {
	if c.Bool("detach-run") || c.Bool("provision-only") {
		return Exit(ExitFailure, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Pipelines run in the foreground",
			Detail: "Each task of a pipeline starts after the previous one finished, so -d/--detach-run and --provision-only do not apply. Run the pipeline without them, or apply its tasks one by one."}))
	}
	if !c.Bool("yes") && !io.InTTY {
		_, err := confirm(io, "")
		return err
	}
	opts, ods := optimizerOptions(io, pl)
	if ods.HasErrors() {
		return Exit(ExitFailure, append(ds, ods...))
	}
	res, rds := pipeline.Optimize(pl, pipeline.Options{Optimizer: opts})
	ds = append(ds, rds...)
	if rds.HasErrors() || res == nil || res.Best == nil {
		return Exit(ExitFailure, ds)
	}
	writeWarnings(c, io, ds)
	_ = res.WriteText(io.Err)
	base := pipelineName(c.String("cluster"), pl, path)
	steps := make([]pipelineStep, len(pl.Tasks))
	for i, t := range pl.Tasks {
		steps[i] = pipelineStep{task: t, name: base + "-" + taskLabel(t, i), chosen: choiceFor(res, t, i)}
		if steps[i].chosen == nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No placement for a pipeline task",
				Detail: fmt.Sprintf("The pipeline optimizer chose nothing for task %q.", taskLabel(t, i))}})
		}
	}
	if !c.Bool("yes") {
		var lines []string
		for _, s := range steps {
			lines = append(lines, fmt.Sprintf("  %s on %s", s.name, provision.InfraLabel(s.chosen.Cloud, s.chosen.Region, s.chosen.Zone)))
		}
		q := fmt.Sprintf("Run pipeline %s, one cluster per task:\n%s\nProceed?", base, strings.Join(lines, "\n"))
		if ok, err := confirm(io, q); err != nil || !ok {
			return abortedOr(err)
		}
	}
	for i, s := range steps {
		fmt.Fprintf(io.Err, "Pipeline %s: task %d/%d %q on cluster %s …\n", base, i+1, len(steps), taskLabel(s.task, i), s.name)
		err := runPipelineStep(c, io, s, res.Candidates, i, path)
		// --down already tore the cluster down after the job.
		if !c.Bool("keep") && !c.Bool("down") {
			if derr := downPipelineCluster(io, s.name); derr != nil && err == nil {
				err = derr
			}
		}
		if err != nil {
			code := ExitFailure
			var why diag.Diagnostics
			var ee *ExitError
			if errors.As(err, &ee) {
				code, why = ee.Code, ee.Diags
			} else {
				why = why.Append(err)
			}
			return Exit(code, append(why, diag.Diagnostic{Severity: diag.Error,
				Summary: fmt.Sprintf("Pipeline %s stopped at task %q (%d/%d)", base, taskLabel(s.task, i), i+1, len(steps)),
				Detail:  fmt.Sprintf("The later tasks did not run. Fix the task and run the pipeline again; cluster %s was %s.", s.name, keptOrDown(c))}))
		}
	}
	fmt.Fprintf(io.Err, "Pipeline %s: all %d tasks succeeded.\n", base, len(steps))
	return nil
}

type pipelineStep struct {
	task   *task.Task
	name   string
	chosen *optimizer.Placement
}

// runPipelineStep provisions (or picks pool hosts for) one task at its
// chosen placement, falling back to the task's other candidates.
func runPipelineStep(c *cli.Context, io *IO, s pipelineStep, cands [][]optimizer.Placement, i int, path string) error {
	if s.chosen.Cloud == "ssh" {
		err := launchOnSSHPool(c, io, s.task, *s.chosen, s.name, false)
		return downAfterJob(c, io, nil, s.name, err)
	}
	order := []optimizer.Placement{*s.chosen}
	if i < len(cands) {
		for _, p := range cands[i] {
			if p.Cloud != s.chosen.Cloud || p.Region != s.chosen.Region || p.Zone != s.chosen.Zone || p.InstanceType != s.chosen.InstanceType || p.UseSpot != s.chosen.UseSpot {
				order = append(order, p)
			}
		}
	}
	for j := range order {
		if order[j].NumNodes == 0 {
			order[j].NumNodes = s.task.NumNodes
		}
	}
	return launchOnCloud(c, io, s.task, s.name, path, provision.CandidatePlanner(order), false)
}

func downPipelineCluster(io *IO, name string) error {
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.GetCluster(name); err != nil {
		return nil // never created (provisioning failed and cleaned up)
	}
	return downOne(io, store, name)
}

func keptOrDown(c *cli.Context) string {
	if c.Bool("keep") {
		return "kept (--keep)"
	}
	return "torn down"
}

// choiceFor finds task i's placement in the optimizer's best plan.
func choiceFor(res *pipeline.Result, t *task.Task, i int) *optimizer.Placement {
	for _, tc := range res.Best.Tasks {
		if t.Name != "" && tc.Name == t.Name {
			p := tc.Chosen
			return &p
		}
	}
	if i < len(res.Best.Tasks) {
		p := res.Best.Tasks[i].Chosen
		return &p
	}
	return nil
}

func pipelineName(flag string, pl *task.Pipeline, path string) string {
	switch {
	case flag != "":
		return flag
	case pl.Name != "":
		return pl.Name
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func taskLabel(t *task.Task, i int) string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("task%d", i+1)
}
