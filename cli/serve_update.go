package cli

import (
	"errors"
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		o := &ServeUpdateOptions{IO: io}
		return &cli.Command{
			Name:      "update",
			Usage:     "roll a service to a new version of its YAML",
			ArgsUsage: "NAME SERVICE.yaml",
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "mode", Value: service.ModeRolling, Destination: &o.Mode, Usage: "rolling (new replicas ready before old ones drain) or blue_green (switch once all new replicas are ready)"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation"},
			}, o.Env.flags()...),
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runServeUpdate(o) },
		}
	})
}

// ServeUpdateOptions are `skyplan serve update`'s flags and arguments.
type ServeUpdateOptions struct {
	IO   *IO
	Args []string
	Mode string
	Yes  bool
	Env  ServeEnvOptions
}

func runServeUpdate(o *ServeUpdateOptions) error {
	io := o.IO
	mode := o.Mode
	if mode != service.ModeRolling && mode != service.ModeBlueGreen {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid update mode", Field: "--mode",
			Detail: fmt.Sprintf("--mode must be rolling or blue_green, got %q.", mode)}})
	}
	if len(o.Args) != 2 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Wrong arguments",
			Detail: "Usage: skyplan serve update NAME SERVICE.yaml [--mode rolling|blue_green]."}})
	}
	name, path := o.Args[0], o.Args[1]
	// A controller VM has the service; it checks that it exists.
	if !remoteControllerConfigured() {
		store, err := openStore()
		if err != nil {
			return err
		}
		_, err = store.GetService(name)
		store.Close()
		if errors.Is(err, state.ErrNotFound) {
			return Exit(ExitFailure, diag.Diagnostics{noServiceToUpdate(name, path)})
		} else if err != nil {
			return err
		}
	}
	ov := o.Env.overrides(io)
	sp, ds := loadServicePlan(io, path, ov, true)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	writeServicePlan(io, io.Err, sp)
	if !o.Yes {
		ok, err := confirm(io, fmt.Sprintf("Update service %s (%s)?", name, mode))
		if err != nil || !ok {
			return withWarnings(ds, abortedOr(err))
		}
	}
	sub := newServiceSubmission(name, sp, ov)
	sub.Update, sub.Mode = true, mode
	if handled, err := forwardService(io, sub, sp); handled {
		return withWarnings(ds, err)
	}
	return recordServiceVersion(io, sub, ds)
}
