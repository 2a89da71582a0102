package cli

import (
	"context"
	"fmt"
	goio "io"
	"os"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

// `skyplan controller up|status|down|logs`: the controller on a small
// cloud VM (jobs.controller / serve.controller: {infra: aws[/REGION]}),
// compiled by controllervm and applied through cluster like any cluster.

// ControllerVMOptions are the flags of up, status, down and logs.
type ControllerVMOptions struct {
	IO         *IO
	Infra      string
	KeepVolume bool
	Yes        bool
	Force      bool
	Lines      int
	Follow     bool
}

func controllerVMCommands(io *IO) []*cli.Command {
	o := &ControllerVMOptions{IO: io}
	infra := &cli.StringFlag{Name: "infra", Destination: &o.Infra, Usage: "`CLOUD[/REGION]` of the controller VM (default: jobs.controller / serve.controller in config)"}
	return []*cli.Command{{
		Name:  "up",
		Usage: "create or update the controller VM, copy this skyplan binary to it and start the daemon (replacing an older binary)",
		Description: "Applies the controller module (state volume first, then the VM with its instance profile), copies the\n" +
			"running skyplan binary over SSH and runs it under systemd (or skyplan's restart loop). Run it again after\n" +
			"upgrading skyplan: the daemon is replaced and adopts running jobs and services.",
		Flags:  []cli.Flag{infra},
		Action: func(*cli.Context) error { return runControllerUp(o) },
	}, {
		Name:   "status",
		Usage:  "show the controller VM, its daemon and its cost",
		Flags:  []cli.Flag{infra},
		Action: func(*cli.Context) error { return runControllerStatus(o) },
	}, {
		Name:  "down",
		Usage: "destroy the controller VM (and its state volume unless --keep-volume); refuses while it has unfinished jobs or services unless --force",
		Flags: []cli.Flag{infra,
			&cli.BoolFlag{Name: "keep-volume", Destination: &o.KeepVolume, Usage: "keep the state volume (jobs, services, logs) for a later `controller up`"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: "force", Destination: &o.Force, Usage: "cancel the VM's unfinished jobs and take its services down (waiting until their clusters are gone), then destroy it; with the VM unreachable, destroy it unchecked"}},
		Action: func(*cli.Context) error { return runControllerDown(o) },
	}, {
		Name:  "logs",
		Usage: "print the controller daemon's log",
		Flags: []cli.Flag{infra,
			&cli.IntFlag{Name: "lines", Aliases: []string{"n"}, Value: 200, Destination: &o.Lines, Usage: "the last `N` lines"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Destination: &o.Follow, Usage: "keep printing new lines"}},
		Action: func(*cli.Context) error { return runControllerLogs(o) },
	}}
}

// controllerSetting is the remote controller configured (or --infra).
func controllerSetting(cfg config.Config, infra string) (config.ControllerConfig, diag.Diagnostics) {
	cc, ds := cfg.Controller()
	if ds.HasErrors() {
		return cc, ds
	}
	if infra != "" {
		cloudName, region, _ := strings.Cut(infra, "/")
		if !cc.Remote || cc.Cloud != cloudName || (region != "" && region != cc.Region) {
			cc = config.ControllerConfig{Field: "--infra", IdleMinutes: cc.IdleMinutes}
		}
		cc.Remote, cc.Cloud = true, cloudName
		if region != "" {
			cc.Region = region
		}
		known := false
		for _, c := range config.ControllerClouds {
			known = known || c == cloudName
		}
		if !known {
			return cc, diag.Diagnostics{{Severity: diag.Error, Summary: "Controller cloud not supported", Field: "--infra",
				Detail: fmt.Sprintf("--infra %s: a controller VM can run on %s only.", infra, strings.Join(config.ControllerClouds, ", "))}}
		}
	}
	if !cc.Remote {
		return cc, diag.Diagnostics{{Severity: diag.Error, Summary: "The controller is local",
			Detail: "jobs.controller and serve.controller are `local` (the default): the daemon runs on this machine and there is no VM. Fix: set `jobs: {controller: {infra: aws/us-east-1}}` in ~/.skyplan/config.yaml, or pass --infra aws."}}
	}
	return cc, nil
}

func runControllerUp(o *ControllerVMOptions) error {
	io := o.IO
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	cc, ds := controllerSetting(cfg, o.Infra)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	rc, err := controllerUp(io, cfg, cc)
	if err != nil {
		return err
	}
	defer rc.sh.Close()
	r := rc.rec
	fmt.Fprintf(io.Out, "Controller %s is up on %s/%s (%s, $%.4f/h), daemon pid %d, skyplan %s (%s).\n",
		r.Name, r.Cloud, r.Region, r.InstanceType, r.HourlyPrice, rc.pid, Version, r.SHA)
	return nil
}

// remoteController is a connected controller VM.
type remoteController struct {
	rec *remote.Record
	sh  remote.Shell
	pid int
}

// controllerUp applies the VM (creating, updating or starting it), then
// installs or replaces the daemon. Each phase is recorded before it acts.
func controllerUp(io *IO, cfg config.Config, cc config.ControllerConfig) (*remoteController, error) {
	m, closeM, err := openManager(io, true)
	if err != nil {
		return nil, err
	}
	defer closeM()
	spec, ds := m.ResolveController(cc)
	if ds.HasErrors() {
		return nil, Exit(ExitFailure, ds)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	home, name := skyhome.Dir(), remote.DefaultName()
	prev, err := remote.LoadRecord(home, name)
	if err != nil {
		return nil, err
	}
	rec := &remote.Record{Name: name, Cloud: spec.Cloud, Region: spec.Region, InstanceType: spec.InstanceType,
		HourlyPrice: spec.HourlyPrice, IdleMinutes: spec.IdleMinutes, Phase: "applying", Home: cluster.ControllerHome}
	if prev != nil {
		rec.InstanceID, rec.SHA, rec.Supervisor = prev.InstanceID, prev.SHA, prev.Supervisor
	}
	if err := rec.Save(home); err != nil {
		return nil, err
	}
	fmt.Fprintf(io.Err, "Applying controller %s on %s/%s (%s) …\n", name, spec.Cloud, spec.Region, spec.InstanceType)
	ctx := io.Interrupted
	vm, vds := m.ControllerApply(ctx, cluster.ControllerVMRequest{Name: name, Spec: spec, Dir: remote.RecordDir(home, name), Log: io.Err})
	if ds = append(ds, vds...); vds.HasErrors() {
		return nil, Exit(ExitFailure, ds)
	}
	if prev != nil && prev.InstanceID != "" && prev.InstanceID != vm.InstanceID {
		// A replaced instance has a new host key; the old pin would refuse it.
		os.Remove(cluster.ControllerKnownHosts(name))
	}
	rec.Phase, rec.InstanceID, rec.PublicIP, rec.PrivateIP, rec.Zone, rec.SSHUser = "installing", vm.InstanceID, vm.PublicIP, vm.PrivateIP, vm.Zone, vm.SSHUser
	if err := rec.Save(home); err != nil {
		return nil, err
	}
	sh, err := controllerShell(ctx, m, name, spec.Cloud, *vm, 10*time.Minute)
	if err != nil {
		return nil, Exit(ExitFailure, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Controller VM not reachable over SSH",
			Detail: fmt.Sprintf("%v. The VM is applied (instance %s); run `skyplan controller up` again once SSH from this machine is allowed (ssh_cidrs), or `skyplan controller down`.", err, vm.InstanceID)}))
	}
	// The controller may create node roles only under its boundary (its
	// IAM policy says so), so its clusters must ask for it.
	cfg.AWS.NodePermissionsBoundary = vm.NodeBoundary
	rcfg, err := remote.RemoteConfig(cfg, vm.PublicIP, vm.PrivateIP)
	if err != nil {
		sh.Close()
		return nil, err
	}
	inst, err := remote.Up(ctx, sh, remote.Install{Binary: exe, Config: rcfg, Home: cluster.ControllerHome,
		User: vm.SSHUser, InstanceID: vm.InstanceID, IdleMinutes: spec.IdleMinutes}, io.Err)
	if err != nil {
		sh.Close()
		return nil, Exit(ExitFailure, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Controller daemon did not start", Detail: err.Error()}))
	}
	rec.Phase, rec.SHA, rec.Supervisor = "up", inst.SHA, inst.Supervisor
	if err := rec.Save(home); err != nil {
		sh.Close()
		return nil, err
	}
	io.render(ds)
	return &remoteController{rec: rec, sh: sh, pid: inst.Probe.PID}, nil
}

// openRemote connects to the configured controller VM, bringing it up
// first when implicitUp and it is not up (no record, an interrupted up,
// or no answer on SSH: stopped by autostop). It returns nil for a local
// controller.
func openRemote(io *IO, implicitUp bool) (*remoteController, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	cc, ds := cfg.Controller()
	if ds.HasErrors() {
		return nil, Exit(ExitFailure, ds)
	}
	if !cc.Remote {
		return nil, nil
	}
	rec, err := remote.LoadRecord(skyhome.Dir(), remote.DefaultName())
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.Phase == "up" {
		m, closeM, err := openManager(io, true)
		if err != nil {
			return nil, err
		}
		sh, err := recordedShell(io, m, rec)
		closeM()
		if err == nil {
			return &remoteController{rec: rec, sh: sh}, nil
		}
		if !implicitUp {
			return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Controller VM not reachable",
				Detail: fmt.Sprintf("%v. It may be stopped (idle autostop); `skyplan controller up` starts it, and so does the next `skyplan jobs launch`.", err)}})
		}
		fmt.Fprintf(io.Err, "The controller VM does not answer (%v); bringing it up …\n", err)
	} else if !implicitUp {
		return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No controller VM",
			Detail: "The controller is configured on a VM (jobs.controller / serve.controller) but none is up. `skyplan controller up` creates it, and so does the first `skyplan jobs launch`."}})
	}
	return controllerUp(io, cfg, cc)
}

// remoteControllerConfigured: jobs.controller / serve.controller name a
// VM (a broken config is left for the command to report).
func remoteControllerConfigured() bool {
	cfg, err := loadConfig()
	if err != nil {
		return false
	}
	cc, ds := cfg.Controller()
	return !ds.HasErrors() && cc.Remote
}

// forwardToController runs this command line on the controller VM when
// one is configured: handled is false for a local controller. The VM's
// skyplan prints the same output and exits with the same code.
func forwardToController(io *IO, implicitUp bool, args []string) (handled bool, err error) {
	rc, err := openRemote(io, implicitUp)
	if err != nil || rc == nil {
		return err != nil, err
	}
	defer rc.sh.Close()
	if args == nil {
		args = io.argv[1:]
	}
	return true, rc.exec(io, args, nil, "running the command")
}

// exec runs the VM's skyplan with args, stdin (nil: none) on the SSH
// channel, its output on ours; its exit code is ours. what names the
// step in an error of the connection itself.
func (rc *remoteController) exec(io *IO, args []string, stdin goio.Reader, what string) error {
	code, err := remote.Exec(io.Interrupted, rc.sh, args, stdin, io.Out, io.Err)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("%s on the controller VM: %w", what, err)))
	}
	if code != 0 {
		// The VM's skyplan rendered its own diagnostics already.
		return Exit(code, nil)
	}
	return nil
}

func openRecorded(io *IO, infra string) (*remote.Record, error) {
	if cfg, err := loadConfig(); err == nil && infra == "" {
		if _, ds := controllerSetting(cfg, ""); ds.HasErrors() {
			if rec, _ := remote.LoadRecord(skyhome.Dir(), remote.DefaultName()); rec == nil {
				return nil, Exit(ExitFailure, ds)
			}
		}
	}
	rec, err := remote.LoadRecord(skyhome.Dir(), remote.DefaultName())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No controller VM",
			Detail: "This machine has no controller VM recorded. `skyplan controller up` creates one."}})
	}
	return rec, nil
}

// recordedShell opens a shell on the controller VM that rec records (the
// status, logs and forwarded job commands all reach it this way).
func recordedShell(io *IO, m *cluster.Manager, rec *remote.Record) (remote.Shell, error) {
	vm := cluster.ControllerVM{InstanceID: rec.InstanceID, PublicIP: rec.PublicIP, PrivateIP: rec.PrivateIP, SSHUser: rec.SSHUser}
	return controllerShell(io.Interrupted, m, rec.Name, rec.Cloud, vm, 20*time.Second)
}

// controllerShell opens SSH to the controller VM (Manager.ControllerShell).
// Tests replace it with a shell that records every remote command line.
var controllerShell = func(ctx context.Context, m *cluster.Manager, name, cloudName string, vm cluster.ControllerVM, timeout time.Duration) (remote.Shell, error) {
	return m.ControllerShell(ctx, name, cloudName, vm, timeout)
}

func runControllerStatus(o *ControllerVMOptions) error {
	io := o.IO
	rec, err := openRecorded(io, o.Infra)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Controller:  %s\nInfra:       %s/%s %s (%s)\nInstance:    %s %s\nCost:        $%.4f/h, $%.2f/month on demand\nPhase:       %s\n",
		rec.Name, rec.Cloud, rec.Region, rec.Zone, rec.InstanceType, rec.InstanceID, rec.PublicIP, rec.HourlyPrice, rec.HourlyPrice*730, rec.Phase)
	if rec.IdleMinutes > 0 {
		fmt.Fprintf(io.Out, "Autostop:    stop after %d idle minutes\n", rec.IdleMinutes)
	}
	if rec.Phase != "up" {
		return nil
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	sh, err := recordedShell(io, m, rec)
	if err != nil {
		fmt.Fprintf(io.Out, "Daemon:      unreachable (%v)\n", err)
		return Exit(ExitFailure, nil)
	}
	defer sh.Close()
	p, sha, err := remote.Status(io.Interrupted, sh)
	if err != nil {
		fmt.Fprintf(io.Out, "Daemon:      unknown (%v)\n", err)
		return Exit(ExitFailure, nil)
	}
	state := "stopped"
	if p.Running {
		state = fmt.Sprintf("running, pid %d", p.PID)
	}
	exe, _ := os.Executable()
	local, _ := remote.FileSHA(exe)
	same := "same as this client"
	if local != sha {
		same = "differs from this client's " + local + ": `skyplan controller up` replaces it"
	}
	fmt.Fprintf(io.Out, "Daemon:      %s under %s, skyplan %s (%s, %s)\nState:       %s on the state volume\n", state, rec.Supervisor, p.Version, sha, same, p.Home)
	return nil
}

func runControllerLogs(o *ControllerVMOptions) error {
	io := o.IO
	rec, err := openRecorded(io, o.Infra)
	if err != nil {
		return err
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	sh, err := recordedShell(io, m, rec)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	defer sh.Close()
	if err := remote.Logs(io.Interrupted, sh, o.Lines, o.Follow, io.Out); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	return nil
}
