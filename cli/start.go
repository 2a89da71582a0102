package cli

import "github.com/urfave/cli/v2"

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "start",
			Usage:     "restart a stopped cluster in the same place (where the cloud supports it)",
			ArgsUsage: "CLUSTER...",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
			Action:    func(c *cli.Context) error { return runStopStart(c, io, "start") },
		}
	})
}
