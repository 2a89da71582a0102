package cli

import (
	"encoding/json"
	"fmt"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/pipeline"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// pipelineFlags are the pipeline-only flags of `skyplan plan`; plan.go
// appends them to its own flags.
var pipelineFlags = []cli.Flag{
	&cli.StringFlag{Name: "minimize", Value: "cost", Usage: "pipeline objective: `cost` (dollars, egress included) or time (hours, transfers included)"},
	&cli.Float64Flag{Name: "bandwidth-gbps", Value: pipeline.DefaultBandwidthGbps, Usage: "assumed `GBPS` between clouds when estimating pipeline transfer times"},
}

// planPipeline prints the optimal placement of a multi-task pipeline (table,
// or JSON with -o json) with egress and the best single-cloud plans. plan.go
// calls it for pipelines of more than one task.
func planPipeline(c *cli.Context, io *IO, p *task.Pipeline) error {
	cat, err := catalog.Load()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	return planPipelineWith(c, io, p, optimizer.Options{Catalog: cat})
}

// planPipelineWith is planPipeline with the caller's optimizer options
// (enabled clouds, SSH pools, blocked placements).
func planPipelineWith(c *cli.Context, io *IO, p *task.Pipeline, opts optimizer.Options) error {
	var ds diag.Diagnostics
	obj, err := pipeline.ParseObjective(c.String("minimize"))
	if err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid --minimize",
			Detail: fmt.Sprintf("Got %q; use --minimize cost or --minimize time.", c.String("minimize")), Field: "--minimize"})
	}
	bw := pipeline.DefaultBandwidthGbps * 1.0
	if c.IsSet("bandwidth-gbps") {
		bw = c.Float64("bandwidth-gbps")
	}
	if bw <= 0 {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid --bandwidth-gbps",
			Detail: fmt.Sprintf("Got %g; give a positive rate in gigabits per second, e.g. --bandwidth-gbps 10.", bw), Field: "--bandwidth-gbps"})
	}
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	res, rds := pipeline.Optimize(p, pipeline.Options{Objective: obj, BandwidthGbps: bw, Optimizer: opts})
	if rds.HasErrors() {
		return Exit(ExitFailure, rds)
	}
	if len(rds) > 0 { // warnings only; JSON when stdout is JSON too
		if c.String("output") == "json" || c.Bool("json-diagnostics") {
			_ = diag.WriteJSON(io.Err, rds)
		} else {
			diag.WriteText(io.Err, rds)
		}
	}
	if c.String("output") == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.WriteText(io.Out)
}
