package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	servesim "github.com/skyplan/skyplan/serve/sim"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		f := &ServeSimulateOptions{IO: io}
		return &cli.Command{
			Name:  "simulate",
			Usage: "replay spot availability traces to compare serving policies' cost and availability",
			Description: "Runs the service controller's real autoscaler and spot placer on a virtual clock over recorded\n" +
				"spot availability: every trace file in --traces DIR is one zone ({\"metadata\":{\"gap_seconds\"},\n" +
				"\"data\":[…]}, e.g. ../shared/spot-traces/availability/1-node/aws-02-15-2023). Spot replicas are\n" +
				"preempted when their zone's capacity is gone; every launch takes --cold-start to become ready.\n" +
				"Availability is the fraction of time with at least --replicas ready replicas; cost is priced from\n" +
				"the catalog for --instance (spot per zone, on-demand per region) and compared with all on-demand.\n" +
				"Policies: on-demand, spot-one-zone, spread (naive rotation over zones), skyserve (SpotHedge as\n" +
				"published: dynamic_fallback placer, num_overprovision, dynamic on-demand fallback) and skyplan.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "traces", Destination: &f.Traces, Usage: "`DIR` of trace files, one zone each", Required: true},
				&cli.IntFlag{Name: "replicas", Value: 3, Destination: &f.Replicas, Usage: "target number of ready replicas `N`"},
				&cli.StringFlag{Name: "cold-start", Value: "3m", Destination: &f.ColdStart, Usage: "launch-to-ready time (`DURATION`)"},
				&cli.IntFlag{Name: "overprovision", Value: 1, Destination: &f.Overprovision, Usage: "num_overprovision `N` for skyserve and skyplan"},
				&cli.StringFlag{Name: "policy", Value: "all", Destination: &f.Policy, Usage: "`NAME` (" + strings.Join(servesim.Policies(), ", ") + ") or all"},
				&cli.StringFlag{Name: "fallback-hold", Value: servesim.DefaultFallbackHold.String(), Destination: &f.FallbackHold, Usage: "skyplan keeps fallback on-demand replicas until spot has been quiet this long (`DURATION`)"},
				&cli.StringFlag{Name: "window", Destination: &f.Window, Usage: "replay windows of this `DURATION` (e.g. 24h) instead of the whole traces"},
				&cli.IntFlag{Name: "repeats", Value: 10, Destination: &f.Repeats, Usage: "with --window: `N` windows evenly spaced over the traces, summed"},
				&cli.StringFlag{Name: "instance", Value: "p3.2xlarge", Destination: &f.Instance, Usage: "instance `TYPE` whose catalog prices are used"},
				outputFlag(&f.Output, "table", "table or json"),
			},
			Action: func(*cli.Context) error {
				io.useView(f.Output)
				o, ds := f.parse()
				if ds.HasErrors() {
					return Exit(ExitFailure, ds)
				}
				return runServeSimulate(o, io)
			},
		}
	})
}

// ServeSimulateOptions are `serve simulate`'s flags as given.
type ServeSimulateOptions struct {
	IO                                      *IO
	Traces, ColdStart, Policy, FallbackHold string
	Window, Instance, Output                string
	Replicas, Overprovision, Repeats        int
}

// serveSimulateOptions are `serve simulate`'s parsed flags.
type serveSimulateOptions struct {
	Traces   string
	Window   time.Duration
	Repeats  int
	Config   servesim.Config
	Policies []string
	Instance string
	JSON     bool
}

// parse checks the flags and turns them into the simulation's options.
func (f *ServeSimulateOptions) parse() (serveSimulateOptions, diag.Diagnostics) {
	var ds diag.Diagnostics
	bad := func(flag, summary, detail string) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, Field: "--" + flag})
	}
	o := serveSimulateOptions{Traces: f.Traces, Instance: f.Instance, JSON: f.Output == "json",
		Config: servesim.Config{Replicas: f.Replicas, Overprovision: f.Overprovision}}
	if f.Output != "table" && f.Output != "json" {
		bad("output", "Invalid --output", fmt.Sprintf("Got %q; use -o table or -o json.", f.Output))
	}
	if o.Config.Replicas < 1 {
		bad("replicas", "Invalid --replicas", fmt.Sprintf("Got %d; a service needs at least 1 replica.", o.Config.Replicas))
	}
	if o.Config.Overprovision < 0 {
		bad("overprovision", "Invalid --overprovision", fmt.Sprintf("Got %d; use 0 or more extra spot replicas.", o.Config.Overprovision))
	}
	if d, err := parseHours(f.ColdStart); err != nil {
		bad("cold-start", "Invalid --cold-start", fmt.Sprintf("Got %q; expected a duration such as 3m, 120s or 0.05 (hours).", f.ColdStart))
	} else {
		o.Config.ColdStart = d
	}
	if d, err := parseHours(f.FallbackHold); err != nil || d <= 0 {
		bad("fallback-hold", "Invalid --fallback-hold", fmt.Sprintf("Got %q; expected a positive duration such as 45m.", f.FallbackHold))
	} else {
		o.Config.FallbackHold = d
	}
	o.Repeats = f.Repeats
	if w := f.Window; w != "" {
		if d, err := parseHours(w); err != nil || d <= 0 {
			bad("window", "Invalid --window", fmt.Sprintf("Got %q; expected a positive duration such as 24h.", w))
		} else {
			o.Window = d
		}
	}
	if o.Repeats < 1 {
		bad("repeats", "Invalid --repeats", fmt.Sprintf("Got %d; replay at least 1 window.", o.Repeats))
	}
	if fi, err := os.Stat(o.Traces); err != nil || !fi.IsDir() {
		bad("traces", "Trace directory not found", fmt.Sprintf("%q is not a directory. Pass a folder of trace files, one zone each, e.g. ../shared/spot-traces/availability/1-node/aws-02-15-2023.", o.Traces))
	}
	switch name := f.Policy; name {
	case "all":
		o.Policies = servesim.Policies()
	default:
		for _, p := range servesim.Policies() {
			if p == name {
				o.Policies = []string{name}
			}
		}
		if o.Policies == nil {
			bad("policy", "Unknown policy", fmt.Sprintf("Got %q; use one of %s, or all.", name, strings.Join(servesim.Policies(), ", ")))
		}
	}
	return o, ds
}

// serveSimRow is one policy's row (the JSON contract).
type serveSimRow struct {
	Policy        string  `json:"policy"`
	Cost          float64 `json:"cost"`
	OnDemandCost  float64 `json:"on_demand_cost"`
	Availability  float64 `json:"availability"`
	Preemptions   int     `json:"preemptions"`
	OnDemandHours float64 `json:"on_demand_hours"`
	CostRatio     float64 `json:"cost_ratio"`
	SpotHours     float64 `json:"spot_hours"`
	Hours         float64 `json:"hours"`
}

func runServeSimulate(o serveSimulateOptions, io *IO) error {
	traces, err := servesim.LoadDir(o.Traces)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot load spot traces",
			Detail: err.Error() + ".", Field: "--traces"}})
	}
	cat, err := catalog.Load()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	var zones []string
	for _, t := range traces {
		zones = append(zones, t.Zone)
	}
	prices, err := servesim.CatalogPrices(cat, o.Instance, zones)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No prices for the instance",
			Detail: err.Error() + ".", Field: "--instance"}})
	}
	for _, z := range zones {
		p := prices[z]
		fmt.Fprintf(io.Err, "zone %s: spot $%.4f/h, on-demand $%.4f/h (%s)\n", z, p.Spot, p.OnDemand, p.Source)
	}
	o.Config.Prices = prices
	var rows []serveSimRow
	for _, p := range o.Policies {
		r, err := servesim.RunWindows(traces, p, o.Config, o.Window, o.Repeats)
		if err != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot replay the traces", Detail: err.Error() + "."}})
		}
		rows = append(rows, serveSimRow{Policy: r.Policy, Cost: round4(r.Cost), OnDemandCost: round4(r.OnDemandCost),
			Availability: round4(r.Availability), Preemptions: r.Preemptions, OnDemandHours: round4(r.OnDemandHours),
			CostRatio: round4(r.CostRatio), SpotHours: round4(r.SpotHours), Hours: round4(r.Hours)})
	}
	if o.JSON {
		io.setResult(struct {
			Rows []serveSimRow `json:"rows"`
		}{rows})
		return nil
	}
	if len(rows) > 0 {
		what := "the whole traces"
		if o.Window > 0 && o.Window < servesim.CommonSpan(traces) {
			what = fmt.Sprintf("%d windows of %v", o.Repeats, o.Window)
		}
		fmt.Fprintf(io.Err, "%d zones, %s (%.0f hours), %d replicas, cold start %v\n", len(zones), what, rows[0].Hours, o.Config.Replicas, o.Config.ColdStart.Round(time.Second))
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tCOST\tVS ON-DEMAND\tAVAILABILITY\tPREEMPTIONS\tON-DEMAND HOURS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t$%.2f\t%.3f\t%.2f%%\t%d\t%.1f\n", r.Policy, r.Cost, r.CostRatio, 100*r.Availability, r.Preemptions, r.OnDemandHours)
	}
	return tw.Flush()
}
