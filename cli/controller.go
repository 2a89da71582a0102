package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

// `skyplan controller`: where the daemon of managed jobs and services
// runs. `run` and `probe` are the daemon's own (started by `jobs launch` /
// `serve up` locally, or supervised on the controller VM); up, status,
// down and logs manage the VM (controller_vm.go).

func init() {
	register(func(io *IO) *cli.Command {
		var idleExit time.Duration
		var supervised bool
		return &cli.Command{
			Name:  "controller",
			Usage: "the controller of managed jobs and services: local daemon, or a small cloud VM (controller up)",
			Subcommands: append([]*cli.Command{{
				Name:   "run",
				Usage:  "run the controller daemon in the foreground (started detached by `skyplan jobs launch`)",
				Hidden: true,
				Flags: []cli.Flag{
					&cli.DurationFlag{Name: "idle-exit", Value: 10 * time.Second, Destination: &idleExit, Usage: "exit after nothing was active for `DURATION`"},
					&cli.BoolFlag{Name: "supervised", Destination: &supervised, Usage: "run under systemd or skyplan's supervisor on a controller VM: wait for the lock, never exit idle unless SKYPLAN_CONTROLLER_IDLE (a duration) > 0, then power the VM off"},
				},
				Action: func(*cli.Context) error {
					if supervised {
						return runSupervisedController(io)
					}
					return runController(io, idleExit)
				},
			}, {
				Name:   "probe",
				Usage:  "print whether this SKYPLAN_HOME's daemon runs, as JSON (used over SSH by controller up/status)",
				Hidden: true,
				Action: func(*cli.Context) error { return probeController(io) },
			}, {
				Name:   "active",
				Usage:  "print this SKYPLAN_HOME's unfinished jobs and services as JSON (used over SSH by controller down)",
				Hidden: true,
				Action: func(*cli.Context) error { return runControllerActive(io) },
			}}, controllerVMCommands(io)...),
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
	_, err = hostController(io, in, idleExit)
	return err
}

// hostController runs the loop holding in; idle reports an idle exit
// (as opposed to a signal).
func hostController(io *IO, in *controller.Instance, idleExit time.Duration) (idle bool, err error) {
	store, err := openStore()
	if err != nil {
		return false, err
	}
	defer store.Close()
	daemonIO = io
	log := slog.New(slog.NewTextHandler(io.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	log.Info("controller started", "pid", os.Getpid(), "home", skyhome.Dir(), "version", Version)
	ctx := io.Interrupted
	if ctx == nil {
		ctx = context.Background()
	}
	err = controller.Loop(ctx, controller.Options{Home: skyhome.Dir(), Store: store, Log: log,
		Instance: in, IdleExit: idleExit})
	if err != nil {
		return false, Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	return ctx.Err() == nil, nil
}

// runSupervisedController is the daemon on a controller VM. Under a
// supervisor it must never exit 0 by accident (that ends the supervision),
// so it waits for the lock instead of giving up to a daemon a forwarded
// command started, and exits idle only when autostop is configured: then
// it powers the VM off (stop, not terminate: the module sets
// instance_initiated_shutdown_behavior = "stop") and exits 0.
func runSupervisedController(io *IO) error {
	files := controller.FilesIn(skyhome.Dir())
	var in *controller.Instance
	for {
		var err error
		in, err = controller.Acquire(files)
		if err == nil {
			break
		}
		if !errors.Is(err, controller.ErrRunning) {
			return err
		}
		select {
		case <-io.Interrupted.Done():
			return nil
		case <-time.After(25 * time.Millisecond):
		}
	}
	defer in.Release()
	idleExit := time.Duration(-1)
	if d, err := time.ParseDuration(io.Environ("SKYPLAN_CONTROLLER_IDLE")); err == nil && d > 0 {
		idleExit = d
	}
	idle, err := hostController(io, in, idleExit)
	if err != nil || !idle {
		return err
	}
	in.Release()
	cmd := io.Environ("SKYPLAN_CONTROLLER_POWEROFF")
	if cmd == "" {
		cmd = "sudo -n shutdown -h now"
	}
	fmt.Fprintf(io.Err, "skyplan controller: idle for %s; stopping the VM (%s)\n", idleExit, cmd)
	if out, err := exec.Command("/bin/sh", "-c", cmd).CombinedOutput(); err != nil {
		// Exit non-zero so the supervisor restarts the daemon: a VM that
		// could not stop keeps serving rather than sitting idle unsupervised.
		return fmt.Errorf("stopping the idle controller VM: %v: %s", err, out)
	}
	return nil
}

func probeController(io *IO) error {
	files := controller.FilesIn(skyhome.Dir())
	st, err := controller.Probe(files)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]any{"running": st.Running, "pid": st.PID, "version": Version, "home": skyhome.Dir(), "log": st.Log})
	fmt.Fprintln(io.Out, string(b))
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
