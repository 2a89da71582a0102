package cli

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/urfave/cli/v2"
)

// QueueOptions are `skyplan queue`'s flags and argument.
type QueueOptions struct {
	IO           *IO
	Cluster      string
	Output       string
	SkipFinished bool
}

func init() { register(func(io *IO) *cli.Command { return newQueueCmd(io, runQueue) }) }

func newQueueCmd(io *IO, runF func(*QueueOptions) error) *cli.Command {
	o := &QueueOptions{IO: io}
	return &cli.Command{
		Name:      "queue",
		Usage:     "list a cluster's jobs",
		ArgsUsage: "CLUSTER",
		Flags: []cli.Flag{
			outputFlag(&o.Output, "table", "table or json"),
			&cli.BoolFlag{Name: "skip-finished", Aliases: []string{"s"}, Destination: &o.SkipFinished, Usage: "show only unfinished jobs"},
		},
		Action: func(c *cli.Context) error { o.Cluster = c.Args().First(); return runF(o) },
	}
}

func runQueue(o *QueueOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	jobs, ds := m.Queue(io.Interrupted, o.Cluster)
	if ds.HasErrors() {
		return fail(ds)
	}
	if o.SkipFinished {
		var keep []cluster.JobInfo
		for _, j := range jobs {
			if !cluster.JobTerminal(j.Status) {
				keep = append(keep, j)
			}
		}
		jobs = keep
	}
	now := time.Now()
	if io.jsonView() {
		type row struct {
			cluster.JobInfo
			DurationSeconds float64 `json:"duration_seconds"`
		}
		rows := []row{}
		for _, j := range jobs {
			rows = append(rows, row{j, j.Duration(now).Seconds()})
		}
		io.setResult(map[string]any{"cluster": o.Cluster, "jobs": rows})
		return done(ds)
	}
	fmt.Fprintf(io.Err, "Job queue of cluster %s\n", o.Cluster)
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSUBMITTED\tSTATUS\tDURATION")
	for _, j := range jobs {
		name := j.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strconv.Itoa(j.ID), name, ago(now.Sub(j.Submitted)), j.Status, cluster.FormatDuration(j.Duration(now)))
	}
	tw.Flush()
	return done(ds)
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
