package cli

import (
	"fmt"
	"strconv"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

// LogsOptions are `skyplan logs`'s flags and arguments.
type LogsOptions struct {
	IO       *IO
	Cluster  string
	JobArg   string // "" = the latest job
	Follow   bool
	NoFollow bool
	Status   bool
}

func init() { register(func(io *IO) *cli.Command { return newLogsCmd(io, runLogs) }) }

func newLogsCmd(io *IO, runF func(*LogsOptions) error) *cli.Command {
	o := &LogsOptions{IO: io}
	return &cli.Command{
		Name:      "logs",
		Usage:     "print or follow a job's logs (latest job by default)",
		ArgsUsage: "CLUSTER [JOB_ID]",
		Description: "With --status, prints the job's status and exits 0 (succeeded), 100 (failed), " +
			"101 (not finished), 102 (not found) or 103 (cancelled). See `skyplan help exit-codes`.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Value: true, Destination: &o.Follow, Usage: "stream until the job ends (default)"},
			&cli.BoolFlag{Name: "no-follow", Destination: &o.NoFollow, Usage: "print what is there and return"},
			&cli.BoolFlag{Name: "status", Destination: &o.Status, Usage: "print the job status; the exit code tells it"},
		},
		Action: func(c *cli.Context) error {
			o.Cluster, o.JobArg = c.Args().First(), c.Args().Get(1)
			return runF(o)
		},
	}
}

func runLogs(o *LogsOptions) error {
	io := o.IO
	io.useView("text")
	id := 0
	if o.JobArg != "" {
		v, err := strconv.Atoi(o.JobArg)
		if err != nil || v < 1 {
			return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid job id",
				Detail: fmt.Sprintf("Job ids are positive integers, got %q; `skyplan queue CLUSTER` lists them.", o.JobArg)})
		}
		id = v
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	if o.Status {
		j, ds := m.JobStatus(io.Interrupted, o.Cluster, id)
		if ds.HasErrors() {
			return fail(ds)
		}
		if j == nil {
			fmt.Fprintf(io.Out, "Job %s not found on cluster %s.\n", jobLabel(id), o.Cluster)
			return Exit(ExitJobNotFound, ds)
		}
		fmt.Fprintf(io.Out, "Job %d: %s\n", j.ID, j.Status)
		return Exit(jobExitCode(j.Status), ds)
	}
	follow := o.Follow && !o.NoFollow
	j, ds := m.Logs(io.Interrupted, cluster.LogsRequest{Cluster: o.Cluster, JobID: id, Follow: follow, Out: io.Out})
	if ds.HasErrors() {
		return fail(ds)
	}
	if j == nil {
		return Exit(ExitJobNotFound, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Job not found",
			Detail: fmt.Sprintf("Cluster %s has no job %s; `skyplan queue %s` lists its jobs.", o.Cluster, jobLabel(id), o.Cluster)}))
	}
	if follow {
		fmt.Fprintf(io.Err, "Job %d %s.\n", j.ID, j.Status)
		if j.Status != cluster.JobSucceeded && cluster.JobTerminal(j.Status) {
			return Exit(jobExitCode(j.Status), ds)
		}
	}
	return done(ds)
}

func jobLabel(id int) string {
	if id == 0 {
		return "(latest)"
	}
	return strconv.Itoa(id)
}
