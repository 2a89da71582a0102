package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "update",
			Usage:     "roll a service to a new version of its YAML",
			ArgsUsage: "NAME SERVICE.yaml",
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "mode", Value: service.ModeRolling, Usage: "rolling (new replicas ready before old ones drain) or blue_green (switch once all new replicas are ready)"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
			}, serveEnvFlags()...),
			Action: func(c *cli.Context) error { return runServeUpdate(c, io) },
		}
	})
}

func runServeUpdate(c *cli.Context, io *IO) error {
	mode := c.String("mode")
	if mode != service.ModeRolling && mode != service.ModeBlueGreen {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid update mode", Field: "--mode",
			Detail: fmt.Sprintf("--mode must be rolling or blue_green, got %q.", mode)}})
	}
	if c.NArg() != 2 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Wrong arguments",
			Detail: "Usage: skyplan serve update NAME SERVICE.yaml [--mode rolling|blue_green]."}})
	}
	name, path := c.Args().Get(0), c.Args().Get(1)
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.GetService(name); errors.Is(err, state.ErrNotFound) {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("No service named %q", name),
			Detail: "See `skyplan serve status`; `skyplan serve up " + path + " -n " + name + "` creates it."}})
	} else if err != nil {
		return err
	}
	o := serveOverrides(c, io)
	sp, ds := loadServicePlan(io, path, o, true)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	writeWarnings(c, io, ds)
	writeServicePlan(io, io.Err, sp)
	if !c.Bool("yes") {
		ok, err := confirm(io, fmt.Sprintf("Update service %s (%s)?", name, mode))
		if err != nil || !ok {
			return abortedOr(err)
		}
	}
	cwd, _ := os.Getwd()
	abs, _ := filepath.Abs(path)
	svc, _ := store.GetService(name)
	// The secrets of the version about to be recorded, first: the
	// controller may read the version as soon as it is committed.
	if err := service.WriteSecrets(name, svc.Version+1, o.Secrets); err != nil {
		return err
	}
	v, err := store.AddServiceVersion(name, state.ServiceVersion{TaskYAML: string(sp.yaml), TaskPath: abs, Cwd: cwd, At: time.Now(),
		Envs: o.Envs, EnvFiles: o.EnvFiles}, mode)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if _, err := ensureController(io); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Service %s is updating to version %d (%s).\n", name, v, mode)
	return nil
}
