package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/pipeline"
	"github.com/skyplan/skyplan/task"
)

// applyPipeline runs a pipeline's tasks in order, each on the placement the
// pipeline optimizer chose for it (so cross-cloud egress is priced in), on
// its own cluster <pipeline>-<task>. Data passes between tasks through the
// buckets the tasks declare. A task's cluster is torn down once the task
// has finished, since no later task runs on it (--keep keeps them all); a
// failing task stops the pipeline and is named.
func applyPipeline(o *ApplyOptions, pl *task.Pipeline, ds diag.Diagnostics) error {
	io, path := o.IO, o.Arg
	if o.Detach || o.ProvisionOnly {
		return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Pipelines run in the foreground",
			Detail: "Each task of a pipeline starts after the previous one finished, so -d/--detach-run and --provision-only do not apply. Run the pipeline without them, or apply its tasks one by one."})
	}
	if !o.Yes && !io.InTTY {
		return fail(ds, needConfirmation())
	}
	opts, ods := optimizerOptions(io, pl)
	ds = append(ds, ods...)
	if ods.HasErrors() {
		return fail(ds)
	}
	res, rds := pipeline.Optimize(pl, pipeline.Options{Optimizer: opts})
	ds = append(ds, rds...)
	if rds.HasErrors() || res == nil || res.Best == nil {
		return fail(ds)
	}
	_ = res.WriteText(io.Err)
	base := pipelineName(o.Cluster, pl, path)
	steps := make([]pipelineStep, len(pl.Tasks))
	for i, t := range pl.Tasks {
		steps[i] = pipelineStep{task: t, name: base + "-" + taskLabel(t, i), chosen: choiceFor(res, t, i)}
		if steps[i].chosen == nil {
			return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No placement for a pipeline task",
				Detail: fmt.Sprintf("The pipeline optimizer chose nothing for task %q.", taskLabel(t, i))})
		}
	}
	if !o.Yes {
		var lines []string
		for _, s := range steps {
			lines = append(lines, fmt.Sprintf("  %s on %s", s.name, cluster.InfraLabel(s.chosen.Cloud, s.chosen.Region, s.chosen.Zone)))
		}
		q := fmt.Sprintf("Run pipeline %s, one cluster per task:\n%s\nProceed?", base, strings.Join(lines, "\n"))
		if ok, err := confirm(io, q); err != nil || !ok {
			return fail(ds, abortDiag(err))
		}
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	step := *o
	step.Yes = true // confirmed above, once for the whole pipeline
	for i, s := range steps {
		fmt.Fprintf(io.Err, "Pipeline %s: task %d/%d %q on cluster %s …\n", base, i+1, len(steps), taskLabel(s.task, i), s.name)
		req := step.launchRequest(s.name, s.task, path)
		req.Optimizer = opts
		req.Candidates = candidatesFor(s, res.Candidates, i)
		lres, lds := m.Launch(io.Interrupted, req)
		err := step.finish(m, s.name, lres, lds)
		code, why := outcome(err)
		// --down already tore the cluster down after the job.
		if !o.Keep && !o.Down {
			if _, gone := m.Get(s.name); !gone.HasErrors() {
				if _, dds := m.Down(io.Interrupted, cluster.DownRequest{Cluster: s.name}); dds.HasErrors() && code == ExitOK {
					code, why = ExitFailure, append(why, dds...)
				}
			}
		}
		ds = append(ds, why...)
		if code != ExitOK {
			return Exit(code, append(ds, diag.Diagnostic{Severity: diag.Error,
				Summary: fmt.Sprintf("Pipeline %s stopped at task %q (%d/%d)", base, taskLabel(s.task, i), i+1, len(steps)),
				Detail:  fmt.Sprintf("The later tasks did not run. Fix the task and run the pipeline again; cluster %s was %s.", s.name, keptOrDown(o.Keep))}))
		}
	}
	fmt.Fprintf(io.Err, "Pipeline %s: all %d tasks succeeded.\n", base, len(steps))
	return done(ds)
}

// abortDiag is why a confirmation did not proceed: its error, or Aborted.
func abortDiag(err error) any {
	if err != nil {
		return err
	}
	return aborted()
}

// abortedOr is abortDiag as the command's error.
func abortedOr(err error) error { return fail(nil, abortDiag(err)) }

type pipelineStep struct {
	task   *task.Task
	name   string
	chosen *optimizer.Placement
}

// candidatesFor is one task's chosen placement, then its other candidates
// (its fallback order).
func candidatesFor(s pipelineStep, cands [][]optimizer.Placement, i int) []optimizer.Placement {
	order := []optimizer.Placement{*s.chosen}
	if i < len(cands) {
		for _, p := range cands[i] {
			if p.Cloud != s.chosen.Cloud || p.Region != s.chosen.Region || p.Zone != s.chosen.Zone || p.InstanceType != s.chosen.InstanceType || p.UseSpot != s.chosen.UseSpot {
				order = append(order, p)
			}
		}
	}
	return order
}

func keptOrDown(keep bool) string {
	if keep {
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
