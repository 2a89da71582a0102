package cli

import (
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// newProbeCommand is a test command that loads a task with the shared
// flags and hands the result to got.
func newProbeCommand(got func(*task.Pipeline, error)) *cli.Command {
	io := &IO{Environ: func(string) string { return "" }}
	return &cli.Command{
		Name:  "probe",
		Flags: taskFlags(),
		Action: func(c *cli.Context) error {
			pl, ds := loadTaskFromFlags(c, io, c.Args().First())
			got(pl, ds.Err())
			return nil
		},
	}
}
