package cli

import (
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// newProbeCommand is a test command that loads a task with the shared
// flags and hands the result to got.
func newProbeCommand(got func(*task.Pipeline, error)) *cli.Command {
	io := &IO{Environ: func(string) string { return "" }}
	var o TaskOptions
	return &cli.Command{
		Name:  "probe",
		Flags: o.flags(),
		Action: func(c *cli.Context) error {
			pl, ds := o.load(io, "probe", c.Args().First())
			got(pl, ds.Err())
			return nil
		},
	}
}
