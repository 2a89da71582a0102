package cli

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs/policy"
	"github.com/skyplan/skyplan/jobs/sim"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		f := &simFlags{}
		return &cli.Command{
			Name:  "simulate",
			Usage: "replay spot availability traces to see what each spot/on-demand policy would cost",
			Description: "Replays the policies the jobs controller runs (on-demand, greedy, uniform-progress, skyplan)\n" +
				"on a virtual clock over recorded spot availability ({\"metadata\":{\"gap_seconds\"},\"data\":[…]}\n" +
				"files, e.g. ../shared/spot-traces): spot is preempted when the trace says it is gone, every start\n" +
				"or switch pays --restart-overhead, and costs use the catalog prices of --instance in the trace's\n" +
				"zone (spot) and region (on-demand). With a deadline, each trace also gets the omniscient optimum.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "trace", Destination: &f.Trace, Usage: "a trace `FILE`, or a DIR of them (searched recursively)", Required: true},
				&cli.StringFlag{Name: "duration", Value: "8h", Destination: &f.Duration, Usage: "compute the job needs (`DURATION`: 8h, 90m, or hours)"},
				&cli.StringFlag{Name: "deadline", Destination: &f.Deadline, Usage: "finish within this `DURATION` of submission (empty: no deadline)"},
				&cli.StringFlag{Name: "restart-overhead", Value: "0.2h", Destination: &f.RestartOverhead, Usage: "time from launch to progress on every start or switch (`DURATION`)"},
				&cli.StringFlag{Name: "policy", Value: "all", Destination: &f.Policy, Usage: "`NAME` (" + strings.Join(policy.Names(), ", ") + ") or all"},
				&cli.StringFlag{Name: "instance", Value: "p3.2xlarge", Destination: &f.Instance, Usage: "instance `TYPE` whose catalog prices are used"},
				&cli.IntFlag{Name: "nodes", Value: 1, Destination: &f.Nodes, Usage: "cluster size `N`: spot is available when the trace counts at least N"},
				&cli.StringFlag{Name: "start", Value: "0", Destination: &f.Start, Usage: "submit the job this `DURATION` into each trace"},
				outputFlag(&f.Output, "table", "table or json"),
			},
			Action: func(*cli.Context) error { return runJobsSimulate(f, io) },
		}
	})
}

// simRow is one policy on one trace (also its JSON form).
type simRow struct {
	Trace         string  `json:"trace"`
	Policy        string  `json:"policy"`
	Cost          float64 `json:"cost"`
	OnDemandCost  float64 `json:"on_demand_cost"`
	FinishedHours float64 `json:"finished_hours"`
	Finished      bool    `json:"finished"`
	DeadlineMet   bool    `json:"deadline_met"`
	Preemptions   int     `json:"preemptions"`
	// OptimumCost is the omniscient optimum of the trace (with a deadline).
	OptimumCost   *float64 `json:"optimum_cost,omitempty"`
	PriceZone     string   `json:"price_zone"`
	SpotPrice     float64  `json:"spot_price"`
	OnDemandPrice float64  `json:"on_demand_price"`
}

// simFlags are jobs simulate's flags as given.
type simFlags struct {
	Trace, Duration, Deadline, RestartOverhead, Policy, Instance, Start, Output string
	Nodes                                                                       int
}

// flag is the value of the named duration flag.
func (f *simFlags) flag(name string) string {
	return map[string]string{"duration": f.Duration, "deadline": f.Deadline, "restart-overhead": f.RestartOverhead, "start": f.Start}[name]
}

// simOptions are jobs simulate's parsed flags.
type simOptions struct {
	Trace    string
	Job      policy.Job
	Policies []policy.Policy
	Instance string
	Nodes    int
	Start    time.Duration
	JSON     bool
}

func parseSimOptions(f *simFlags) (simOptions, diag.Diagnostics) {
	var diags diag.Diagnostics
	bad := func(flag, summary, detail string) {
		diags = append(diags, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, Field: "--" + flag})
	}
	dur := func(flag string) time.Duration {
		s := strings.TrimSpace(f.flag(flag))
		if s == "" {
			return 0
		}
		d, err := parseHours(s)
		if err != nil {
			bad(flag, "Invalid --"+flag, fmt.Sprintf("Got %q; expected a duration ≥ 0 such as 8h, 90m or 1.5 (hours).", s))
		}
		return d
	}
	o := simOptions{Trace: f.Trace, Instance: f.Instance, Nodes: f.Nodes, JSON: f.Output == "json"}
	o.Job = policy.Job{Duration: dur("duration"), Deadline: dur("deadline"), RestartOverhead: dur("restart-overhead")}
	o.Start = dur("start")
	if out := f.Output; out != "table" && out != "json" {
		bad("output", "Invalid --output", fmt.Sprintf("Got %q; use -o table or -o json.", out))
	}
	if o.Nodes < 1 {
		bad("nodes", "Invalid --nodes", fmt.Sprintf("Got %d; a cluster has at least 1 node.", o.Nodes))
	}
	if o.Job.Duration == 0 && diags == nil {
		bad("duration", "Missing --duration", "The replay needs the compute the job takes, e.g. --duration 8h.")
	}
	// The replay steps are at most a minute and the optimum is quadratic in
	// them: a week keeps one trace under a second or so.
	const maxSim = 7 * 24 * time.Hour
	for _, f := range []struct {
		flag string
		d    time.Duration
	}{{"duration", o.Job.Duration}, {"deadline", o.Job.Deadline}, {"restart-overhead", o.Job.RestartOverhead}} {
		if f.d > maxSim {
			bad(f.flag, "--"+f.flag+" too long", fmt.Sprintf("Got %v; jobs simulate replays jobs of up to 168h (a week). Shorten it.", f.d))
		}
	}
	if o.Job.Deadline > 0 && o.Job.Deadline < o.Job.Duration {
		bad("deadline", "Deadline shorter than the duration",
			fmt.Sprintf("--deadline %v is less than --duration %v: no policy can finish in time. Give a deadline of at least the duration plus the restart overhead.", o.Job.Deadline, o.Job.Duration))
	}
	name := f.Policy
	if name == "all" {
		for _, n := range policy.Names() {
			p, _ := policy.Lookup(n)
			o.Policies = append(o.Policies, p)
		}
	} else if p, err := policy.Lookup(name); err != nil {
		bad("policy", "Unknown policy", err.Error()+", or all.")
	} else {
		o.Policies = []policy.Policy{p}
	}
	return o, diags
}

// parseHours reads "8h", "90m", "0.2h" or a plain number of hours.
func parseHours(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e6 {
		return time.Duration(f * float64(time.Hour)), nil
	}
	return 0, fmt.Errorf("invalid duration %q", s)
}

func runJobsSimulate(f *simFlags, io *IO) error {
	io.useView(f.Output)
	o, diags := parseSimOptions(f)
	if diags.HasErrors() {
		return Exit(ExitFailure, diags)
	}
	traces, err := sim.LoadTraces(o.Trace)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot load spot traces",
			Detail: err.Error() + ".", Field: "--trace"}})
	}
	cat, err := catalog.Load()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	var rows []simRow
	notes := map[string]bool{}
	for _, tr := range traces {
		src, err := sim.PricesFor(cat, o.Instance, tr.Zone())
		if err != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No prices for the instance",
				Detail: err.Error() + ".", Field: "--instance"}})
		}
		notes[src.String()] = true
		cfg := sim.Config{Job: o.Job, Prices: src.Prices, Nodes: o.Nodes, Start: o.Start}
		var opt *float64
		if o.Job.HasDeadline() {
			v, ok, err := sim.Optimum(tr, cfg)
			if err != nil {
				return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot replay the trace", Detail: err.Error() + ".", Field: "--start"}})
			}
			if ok {
				v = round4(v)
				opt = &v
			}
		}
		for _, p := range o.Policies {
			r, err := sim.Replay(tr, p, cfg)
			if err != nil {
				return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot replay the trace", Detail: err.Error() + "."}})
			}
			rows = append(rows, simRow{
				Trace: r.Trace, Policy: r.Policy, Cost: round4(r.Cost), OnDemandCost: round4(r.OnDemandCost),
				FinishedHours: round4(r.Elapsed.Hours()), Finished: r.Finished, DeadlineMet: r.DeadlineMet,
				Preemptions: r.Preemptions, OptimumCost: opt, PriceZone: src.Zone,
				SpotPrice: src.Prices.Spot, OnDemandPrice: src.Prices.OnDemand,
			})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(notes)) {
		fmt.Fprintln(io.Err, "prices:", n)
	}
	if o.JSON {
		io.setResult(struct {
			Rows []simRow `json:"rows"`
		}{rows})
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRACE\tPOLICY\tCOST\tON-DEMAND\tRATIO\tOPTIMUM\tFINISHED\tDEADLINE\tPREEMPTIONS\tZONE")
	for _, r := range rows {
		optS, met := "-", "-"
		if r.OptimumCost != nil {
			optS = fmt.Sprintf("$%.2f", *r.OptimumCost)
		}
		if o.Job.HasDeadline() {
			met = map[bool]string{true: "met", false: "MISSED"}[r.DeadlineMet]
		}
		fin := fmt.Sprintf("%.2fh", r.FinishedHours)
		if !r.Finished {
			fin = "not finished"
		}
		fmt.Fprintf(tw, "%s\t%s\t$%.2f\t$%.2f\t%.3f\t%s\t%s\t%s\t%d\t%s\n", r.Trace, r.Policy, r.Cost, r.OnDemandCost,
			r.Cost/r.OnDemandCost, optS, fin, met, r.Preemptions, r.PriceZone)
	}
	return tw.Flush()
}

func round4(f float64) float64 { return float64(int64(f*1e4+0.5)) / 1e4 }
