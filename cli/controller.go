package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

// `skyplan controller run`: the controller daemon in the foreground. Users
// do not call it: `skyplan jobs launch` (and `serve up`) start it detached
// through ensureController. Issue 14 adds `controller up|status|down|logs`.

func init() {
	register(func(io *IO) *cli.Command {
		var idleExit time.Duration
		return &cli.Command{
			Name:   "controller",
			Usage:  "the controller daemon of managed jobs and services",
			Hidden: true,
			Subcommands: []*cli.Command{{
				Name:  "run",
				Usage: "run the controller daemon in the foreground (started detached by `skyplan jobs launch`)",
				Flags: []cli.Flag{
					&cli.DurationFlag{Name: "idle-exit", Value: 10 * time.Second, Destination: &idleExit, Usage: "exit after nothing was active for `DURATION`"},
				},
				Action: func(*cli.Context) error { return runController(io, idleExit) },
			}},
		}
	})
}

func runController(io *IO, idleExit time.Duration) error {
	files := controller.FilesIn(skyhome.Dir())
	in, err := controller.Acquire(files)
	if errors.Is(err, controller.ErrRunning) {
		// Lost a start race with another client's daemon: that one serves.
		fmt.Fprintf(io.Err, "skyplan controller: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Release()
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	daemonIO = io
	log := slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log.Info("controller started", "pid", os.Getpid(), "home", skyhome.Dir())
	ctx := io.Interrupted
	if ctx == nil {
		ctx = context.Background()
	}
	err = controller.Loop(ctx, controller.Options{Home: skyhome.Dir(), Store: store, Log: log,
		Instance: in, IdleExit: idleExit})
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	return nil
}

// ensureController starts the daemon unless one runs for this
// SKYPLAN_HOME. Call it after writing the record the daemon should act on.
func ensureController(io *IO) (pid int, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	pid, started, err := controller.EnsureRunning(io.Interrupted, controller.SpawnOptions{
		Files: controller.FilesIn(skyhome.Dir()), Argv: []string{exe, "controller", "run"}})
	if err != nil {
		return 0, err
	}
	if started {
		fmt.Fprintf(io.Err, "Started the controller (pid %d, log %s).\n", pid, controller.FilesIn(skyhome.Dir()).Log())
	}
	return pid, nil
}
