package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/pipeline"
	"github.com/skyplan/skyplan/task"
)

// planPipeline prints the optimal placement of a multi-task pipeline (table,
// or JSON with -o json) with egress and the best single-cloud plans.
func planPipeline(o *PlanOptions, p *task.Pipeline, opts optimizer.Options, ds diag.Diagnostics) error {
	io := o.IO
	obj, err := pipeline.ParseObjective(o.Minimize)
	if err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid --minimize",
			Detail: fmt.Sprintf("Got %q; use --minimize cost or --minimize time.", o.Minimize), Field: "--minimize"})
	}
	bw := pipeline.DefaultBandwidthGbps * 1.0
	if o.BandwidthGbpsOn {
		bw = o.BandwidthGbps
	}
	if bw <= 0 {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid --bandwidth-gbps",
			Detail: fmt.Sprintf("Got %g; give a positive rate in gigabits per second, e.g. --bandwidth-gbps 10.", bw), Field: "--bandwidth-gbps"})
	}
	if ds.HasErrors() {
		return fail(ds)
	}
	res, rds := pipeline.Optimize(p, pipeline.Options{Objective: obj, BandwidthGbps: bw, Optimizer: opts})
	ds = append(ds, rds...)
	if rds.HasErrors() {
		return fail(ds)
	}
	if io.jsonView() {
		io.setResult(res)
		return done(ds)
	}
	if err := res.WriteText(io.Out); err != nil {
		return fail(ds, err)
	}
	return done(ds)
}
