package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		o := &ServeDownOptions{IO: io}
		return &cli.Command{
			Name:      "down",
			Usage:     "tear down services: drain and destroy every replica, stop the load balancer",
			ArgsUsage: "NAME...",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.All, Usage: "every service"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation"},
				&cli.DurationFlag{Name: "wait", Value: 30 * time.Minute, Destination: &o.Wait, Usage: "how long to wait for the replicas to be destroyed (0: do not wait)"},
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runServeDown(o) },
		}
	})
}

// ServeDownOptions are `skyplan serve down`'s flags and arguments.
type ServeDownOptions struct {
	IO   *IO
	Args []string
	All  bool
	Yes  bool
	Wait time.Duration
}

func runServeDown(o *ServeDownOptions) error {
	io := o.IO
	names := append([]string(nil), o.Args...)
	if o.All == (len(names) > 0) {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Name the services or pass -a",
			Detail: "Usage: skyplan serve down NAME... or skyplan serve down -a (see skyplan serve status)."}})
	}
	if remoteControllerConfigured() {
		// The VM has the services: confirm here (it has no terminal),
		// then run the same down there.
		if !o.Yes {
			what := fmt.Sprintf("service(s) %v", names)
			if o.All {
				what = "every service"
			}
			ok, err := confirm(io, fmt.Sprintf("Tear down %s on the controller VM and all their replicas?", what))
			if err != nil || !ok {
				return abortedOr(err)
			}
		}
		args := []string{"serve", "down", "--yes", "--wait", o.Wait.String()}
		if o.All {
			args = append(args, "--all")
		}
		if handled, err := forwardToController(io, false, append(args, names...)); handled {
			return err
		}
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	if o.All {
		svcs, err := store.ListServices()
		if err != nil {
			return err
		}
		for _, s := range svcs {
			names = append(names, s.Name)
		}
		if len(names) == 0 {
			fmt.Fprintln(io.Err, "No services to tear down.")
			return nil
		}
	}
	var ds diag.Diagnostics
	var marked []string
	for _, n := range names {
		if _, err := store.GetService(n); errors.Is(err, state.ErrNotFound) {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No service named %q", n),
				Detail: "See `skyplan serve status` for the services skyplan knows."})
			continue
		} else if err != nil {
			return withWarnings(ds, err)
		}
		marked = append(marked, n)
	}
	if len(marked) > 0 && !o.Yes {
		ok, err := confirm(io, fmt.Sprintf("Tear down service(s) %v and all their replicas?", marked))
		if err != nil || !ok {
			return withWarnings(ds, abortedOr(err))
		}
	}
	for _, n := range marked {
		// Recorded first: the controller acts on the record, also if
		// this command is interrupted now.
		if _, err := store.UpdateService(n, func(s *state.Service) error { s.DownRequested = true; return nil }); err != nil {
			ds = ds.Append(err)
		}
	}
	if len(marked) > 0 {
		if _, err := ensureController(io); err != nil {
			return withWarnings(ds, err)
		}
	}
	wait := o.Wait
	deadline := time.Now().Add(wait)
	for _, n := range marked {
		if wait <= 0 {
			fmt.Fprintf(io.Out, "Service %s is shutting down.\n", n)
			continue
		}
		fmt.Fprintf(io.Err, "Tearing down service %s...\n", n)
		for {
			_, err := store.GetService(n)
			if errors.Is(err, state.ErrNotFound) {
				fmt.Fprintf(io.Out, "Service %s torn down.\n", n)
				break
			}
			if time.Now().After(deadline) {
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("Service %s is still shutting down", n),
					Detail: fmt.Sprintf("Its replicas were not all destroyed within %s; the controller keeps trying. See `skyplan serve status %s` and `skyplan serve logs %s --controller`.", wait, n, n)})
				break
			}
			select {
			case <-io.Interrupted.Done():
				return withWarnings(ds, io.Interrupted.Err())
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return done(ds)
}
