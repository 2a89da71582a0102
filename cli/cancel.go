package cli

import (
	"fmt"
	"strconv"

	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

// CancelOptions are `skyplan cancel`'s flags and arguments.
type CancelOptions struct {
	IO      *IO
	Cluster string
	JobArgs []string
	All     bool
	Yes     bool
}

func init() { register(func(io *IO) *cli.Command { return newCancelCmd(io, runCancel) }) }

func newCancelCmd(io *IO, runF func(*CancelOptions) error) *cli.Command {
	o := &CancelOptions{IO: io}
	return &cli.Command{
		Name:      "cancel",
		Usage:     "cancel jobs on a cluster (kills their process trees on every node)",
		ArgsUsage: "CLUSTER JOB_ID... | CLUSTER -a",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.All, Usage: "cancel every unfinished job"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask (cancel never asks; accepted for SkyPilot compatibility)"},
		},
		Action: func(c *cli.Context) error {
			o.Cluster = c.Args().First()
			if c.NArg() > 1 {
				o.JobArgs = c.Args().Slice()[1:]
			}
			return runF(o)
		},
	}
}

func runCancel(o *CancelOptions) error {
	io := o.IO
	io.useView("text")
	var ids []int
	for _, a := range o.JobArgs {
		v, err := strconv.Atoi(a)
		if err != nil || v < 1 {
			return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid job id",
				Detail: fmt.Sprintf("Job ids are positive integers, got %q.", a)})
		}
		ids = append(ids, v)
	}
	if len(ids) == 0 && !o.All {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "No jobs to cancel",
			Detail: "Give job ids (`skyplan queue CLUSTER` lists them) or -a for every unfinished job."})
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	cancelled, ds := m.Cancel(io.Interrupted, o.Cluster, ids, o.All)
	if ds.HasErrors() {
		return fail(ds)
	}
	if len(cancelled) == 0 {
		fmt.Fprintln(io.Err, "No unfinished jobs to cancel.")
	}
	return done(ds)
}
