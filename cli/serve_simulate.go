package cli

import (
	"encoding/json"
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
				&cli.StringFlag{Name: "traces", Usage: "`DIR` of trace files, one zone each", Required: true},
				&cli.IntFlag{Name: "replicas", Value: 3, Usage: "target number of ready replicas `N`"},
				&cli.StringFlag{Name: "cold-start", Value: "3m", Usage: "launch-to-ready time (`DURATION`)"},
				&cli.IntFlag{Name: "overprovision", Value: 1, Usage: "num_overprovision `N` for skyserve and skyplan"},
				&cli.StringFlag{Name: "policy", Value: "all", Usage: "`NAME` (" + strings.Join(servesim.Policies(), ", ") + ") or all"},
				&cli.StringFlag{Name: "fallback-hold", Value: servesim.DefaultFallbackHold.String(), Usage: "skyplan keeps fallback on-demand replicas until spot has been quiet this long (`DURATION`)"},
				&cli.StringFlag{Name: "window", Usage: "replay windows of this `DURATION` (e.g. 24h) instead of the whole traces"},
				&cli.IntFlag{Name: "repeats", Value: 10, Usage: "with --window: `N` windows evenly spaced over the traces, summed"},
				&cli.StringFlag{Name: "instance", Value: "p3.2xlarge", Usage: "instance `TYPE` whose catalog prices are used"},
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT`: table or json"},
			},
			Action: func(c *cli.Context) error {
				o, ds := parseServeSimulateOptions(c)
				if ds.HasErrors() {
					return Exit(ExitFailure, ds)
				}
				return runServeSimulate(o, io)
			},
		}
	})
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

func parseServeSimulateOptions(c *cli.Context) (serveSimulateOptions, diag.Diagnostics) {
	var ds diag.Diagnostics
	bad := func(flag, summary, detail string) {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, Field: "--" + flag})
	}
	o := serveSimulateOptions{Traces: c.String("traces"), Instance: c.String("instance"), JSON: c.String("output") == "json",
		Config: servesim.Config{Replicas: c.Int("replicas"), Overprovision: c.Int("overprovision")}}
	if f := c.String("output"); f != "table" && f != "json" {
		bad("output", "Invalid --output", fmt.Sprintf("Got %q; use -o table or -o json.", f))
	}
	if o.Config.Replicas < 1 {
		bad("replicas", "Invalid --replicas", fmt.Sprintf("Got %d; a service needs at least 1 replica.", o.Config.Replicas))
	}
	if o.Config.Overprovision < 0 {
		bad("overprovision", "Invalid --overprovision", fmt.Sprintf("Got %d; use 0 or more extra spot replicas.", o.Config.Overprovision))
	}
	if d, err := parseHours(c.String("cold-start")); err != nil {
		bad("cold-start", "Invalid --cold-start", fmt.Sprintf("Got %q; expected a duration such as 3m, 120s or 0.05 (hours).", c.String("cold-start")))
	} else {
		o.Config.ColdStart = d
	}
	if d, err := parseHours(c.String("fallback-hold")); err != nil || d <= 0 {
		bad("fallback-hold", "Invalid --fallback-hold", fmt.Sprintf("Got %q; expected a positive duration such as 45m.", c.String("fallback-hold")))
	} else {
		o.Config.FallbackHold = d
	}
	o.Repeats = c.Int("repeats")
	if w := c.String("window"); w != "" {
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
	switch name := c.String("policy"); name {
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
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rows []serveSimRow `json:"rows"`
		}{rows})
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
