package cli

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner"
	"github.com/urfave/cli/v2"
)

// `skyplan logs --status` exit codes, as `sky logs --status`.
const (
	ExitJobFailed      = 100
	ExitJobNotFinished = 101
	ExitJobNotFound    = 102
	ExitJobCancelled   = 103
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "logs",
			Usage:     "print or follow a job's logs (latest job by default)",
			ArgsUsage: "CLUSTER [JOB_ID]",
			Description: "With --status, prints the job's status and exits 0 (succeeded), 100 (failed), " +
				"101 (not finished), 102 (not found) or 103 (cancelled).",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "follow", Value: true, Usage: "stream until the job ends (default)"},
				&cli.BoolFlag{Name: "no-follow", Usage: "print what is there and return"},
				&cli.BoolFlag{Name: "status", Usage: "print the job status; the exit code tells it"},
			},
			Action: func(c *cli.Context) error { return runLogs(c, io) },
		}
	})
}

func runLogs(c *cli.Context, io *IO) error {
	id := 0
	if c.NArg() > 1 {
		v, err := strconv.Atoi(c.Args().Get(1))
		if err != nil || v < 1 {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid job id",
				Detail: fmt.Sprintf("Job ids are positive integers, got %q; `skyplan queue CLUSTER` lists them.", c.Args().Get(1))}})
		}
		id = v
	}
	r, cl, store, err := openCluster(io, c.Args().First(), false)
	if err != nil {
		return err
	}
	defer store.Close()
	if c.Bool("status") {
		j, err := r.JobStatus(io.Interrupted, cl, id)
		if errors.Is(err, runner.ErrJobNotFound) {
			fmt.Fprintf(io.Out, "Job %s not found on cluster %s.\n", jobLabel(id), cl.Name)
			return Exit(ExitJobNotFound, nil)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "Job %d: %s\n", j.ID, j.Status)
		return Exit(statusExitCode(j.Status), nil)
	}
	follow := c.Bool("follow") && !c.Bool("no-follow")
	j, err := r.Logs(io.Interrupted, cl, id, follow, io.Out)
	if errors.Is(err, runner.ErrJobNotFound) {
		return Exit(ExitJobNotFound, diag.Diagnostics{{Severity: diag.Error, Summary: "Job not found",
			Detail: fmt.Sprintf("Cluster %s has no job %s; `skyplan queue %s` lists its jobs.", cl.Name, jobLabel(id), cl.Name)}})
	}
	if err != nil {
		return err
	}
	if follow {
		fmt.Fprintf(io.Err, "Job %d %s.\n", j.ID, j.Status)
		if j.Status != runner.JobSucceeded && runner.Terminal(j.Status) {
			return Exit(statusExitCode(j.Status), nil)
		}
	}
	return nil
}

func jobLabel(id int) string {
	if id == 0 {
		return "(latest)"
	}
	return strconv.Itoa(id)
}

func statusExitCode(status string) int {
	switch status {
	case runner.JobSucceeded:
		return ExitOK
	case runner.JobFailed, runner.JobFailedSetup:
		return ExitJobFailed
	case runner.JobCancelled:
		return ExitJobCancelled
	}
	return ExitJobNotFinished
}
