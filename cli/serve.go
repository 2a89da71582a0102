package cli

import (
	"sort"

	"github.com/urfave/cli/v2"
)

// `skyplan serve ...`: SkyServe's `sky serve` (same words). Each
// subcommand lives in its own serve_*.go file and registers itself with
// registerServe from its init, like top-level commands with register.

var serveRegistry []func(*IO) *cli.Command

// registerServe adds a `serve` subcommand constructor.
func registerServe(f func(*IO) *cli.Command) { serveRegistry = append(serveRegistry, f) }

func init() {
	register(func(io *IO) *cli.Command {
		var subs []*cli.Command
		for _, f := range serveRegistry {
			subs = append(subs, f(io))
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
		return &cli.Command{
			Name:        "serve",
			Usage:       "serve a model over spot and on-demand replicas behind one endpoint (SkyServe)",
			Subcommands: subs,
		}
	})
}
