package cli

import (
	"sort"

	"github.com/urfave/cli/v2"
)

// jobsSubcommands are the `skyplan jobs …` subcommands; each file adds its
// own with registerJobs from its init, like register for top-level commands.
var jobsSubcommands []func(*IO) *cli.Command

func registerJobs(f func(*IO) *cli.Command) { jobsSubcommands = append(jobsSubcommands, f) }

func init() {
	register(func(io *IO) *cli.Command {
		var subs []*cli.Command
		for _, f := range jobsSubcommands {
			subs = append(subs, f(io))
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
		return &cli.Command{
			Name:        "jobs",
			Usage:       "managed jobs: recovered after preemptions, deadline-aware spot/on-demand",
			Subcommands: subs,
		}
	})
}
