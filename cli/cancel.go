package cli

import (
	"fmt"
	"strconv"

	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "cancel",
			Usage:     "cancel jobs on a cluster (kills their process trees on every node)",
			ArgsUsage: "CLUSTER JOB_ID... | CLUSTER -a",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "cancel every unfinished job"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask (cancel never asks; accepted for SkyPilot compatibility)"},
			},
			Action: func(c *cli.Context) error { return runCancel(c, io) },
		}
	})
}

func runCancel(c *cli.Context, io *IO) error {
	var ids []int
	for _, a := range c.Args().Slice()[min(1, c.NArg()):] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 1 {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid job id",
				Detail: fmt.Sprintf("Job ids are positive integers, got %q.", a)}})
		}
		ids = append(ids, v)
	}
	if len(ids) == 0 && !c.Bool("all") {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No jobs to cancel",
			Detail: "Give job ids (`skyplan queue CLUSTER` lists them) or -a for every unfinished job."}})
	}
	r, cl, store, err := openCluster(io, c.Args().First(), false)
	if err != nil {
		return err
	}
	defer store.Close()
	done, err := r.Cancel(io.Interrupted, cl, ids, c.Bool("all"))
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintln(io.Err, "No unfinished jobs to cancel.")
	}
	return nil
}
