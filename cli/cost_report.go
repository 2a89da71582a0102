package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

// costReportNow is the report's clock; tests fix it so costs of launches
// still running are exact.
var costReportNow = time.Now

func init() {
	register(func(io *IO) *cli.Command {
		o := &CostReportOptions{IO: io}
		return &cli.Command{
			Name:  "cost-report",
			Usage: "show what clusters cost: duration × the hourly price recorded at launch",
			Description: "Costs come from skyplan's local history: each launch keeps the price of its placement at\n" +
				"launch time (not today's catalog) and its duration. Spot preemptions and autostops that\n" +
				"skyplan did not see make the figures estimates, as in SkyPilot's cost-report.",
			Flags: []cli.Flag{
				outputFlag(&o.Output, "table", "table or json"),
				&cli.IntFlag{Name: "days", Value: 30, Destination: &o.Days, Usage: "report launches that were up during the last `N` days"},
			},
			Action: func(*cli.Context) error { return runCostReport(o) },
		}
	})
}

// costRow is one launch in the report (also its JSON form).
type costRow struct {
	Name            string     `json:"name"`
	LaunchedAt      time.Time  `json:"launched_at"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	DurationSeconds int64      `json:"duration_seconds"`
	Resources       string     `json:"resources"`
	Status          string     `json:"status"`
	HourlyCost      float64    `json:"hourly_cost"`
	Cost            float64    `json:"cost"`
}

// CostReportOptions are `skyplan cost-report`'s flags.
type CostReportOptions struct {
	IO     *IO
	Output string
	Days   int
}

func runCostReport(o *CostReportOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	days := o.Days
	if days < 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid number of days",
			Detail: fmt.Sprintf("--days must be 1 or more, got %d.", days), Field: "--days"}})
	}
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot open skyplan's state",
			Detail: err.Error()}})
	}
	defer store.Close()
	launches, err := store.ListLaunches()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot read the launch history",
			Detail: err.Error()}})
	}
	now := costReportNow()
	since := now.Add(-time.Duration(days) * 24 * time.Hour)
	rows := []costRow{}
	var total float64
	for _, l := range launches {
		// A launch counts when it was up at some point in the window.
		if l.EndedAt != nil && l.EndedAt.Before(since) {
			continue
		}
		row := costRow{Name: l.Cluster, LaunchedAt: l.StartedAt, EndedAt: l.EndedAt,
			DurationSeconds: int64(l.Duration(now) / time.Second), Resources: l.Resources,
			Status: l.Status, HourlyCost: l.HourlyCost, Cost: l.Cost(now)}
		total += row.Cost
		rows = append(rows, row)
	}

	if io.jsonView() {
		io.setResult(struct {
			Days      int       `json:"days"`
			Launches  []costRow `json:"launches"`
			TotalCost float64   `json:"total_cost"`
		}{days, rows, total})
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintf(io.Err, "No clusters were up in the last %d days.\n", days)
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLAUNCHED\tDURATION\tRESOURCES\tSTATUS\t$/h\tCOST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.LaunchedAt.Local().Format("2006-01-02 15:04"),
			costDuration(time.Duration(r.DurationSeconds)*time.Second), r.Resources, r.Status,
			costHourly(r.HourlyCost), fmt.Sprintf("$%.2f", r.Cost))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "\nTotal: $%.2f for %d launch%s in the last %d days (estimated from prices at launch time).\n",
		total, len(rows), map[bool]string{true: "", false: "es"}[len(rows) == 1], days)
	return nil
}

// costDuration is a compact duration: "45s", "12m", "3h 5m", "2d 4h".
func costDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// costHourly shows sub-dollar prices with enough digits to tell small
// instances apart ($0.0104 vs $0.0208).
func costHourly(p float64) string {
	if p < 1 {
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("$%.4f", p), "0"), ".")
	}
	return fmt.Sprintf("$%.2f", p)
}
