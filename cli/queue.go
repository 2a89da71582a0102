package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "queue",
			Usage:     "list a cluster's jobs",
			ArgsUsage: "CLUSTER",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT`: table or json"},
				&cli.BoolFlag{Name: "skip-finished", Aliases: []string{"s"}, Usage: "show only unfinished jobs"},
			},
			Action: func(c *cli.Context) error { return runQueue(c, io) },
		}
	})
}

func runQueue(c *cli.Context, io *IO) error {
	out := c.String("output")
	if out != "table" && out != "json" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid output format",
			Detail: fmt.Sprintf("-o must be table or json, got %q.", out), Field: "--output"}})
	}
	r, cl, store, err := openCluster(io, c.Args().First(), false)
	if err != nil {
		return err
	}
	defer store.Close()
	jobs, err := r.Queue(io.Interrupted, cl, func(msg string) { fmt.Fprintln(io.Err, "Warning: "+msg) })
	if err != nil {
		return err
	}
	if c.Bool("skip-finished") {
		var keep []runner.JobInfo
		for _, j := range jobs {
			if !runner.Terminal(j.Status) {
				keep = append(keep, j)
			}
		}
		jobs = keep
	}
	now := time.Now()
	if out == "json" {
		type row struct {
			runner.JobInfo
			DurationSeconds float64 `json:"duration_seconds"`
		}
		rows := []row{}
		for _, j := range jobs {
			rows = append(rows, row{j, j.Duration(now).Seconds()})
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"cluster": cl.Name, "jobs": rows})
	}
	fmt.Fprintf(io.Err, "Job queue of cluster %s\n", cl.Name)
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSUBMITTED\tSTATUS\tDURATION")
	for _, j := range jobs {
		name := j.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strconv.Itoa(j.ID), name, ago(now.Sub(j.Submitted)), j.Status, runner.FormatDuration(j.Duration(now)))
	}
	return tw.Flush()
}

// ago renders an age as SkyPilot's "2 mins ago".
func ago(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 60:
		return "just now"
	case s < 3600:
		return plural(s/60, "min") + " ago"
	case s < 86400:
		return plural(s/3600, "hr") + " ago"
	default:
		return plural(s/86400, "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
