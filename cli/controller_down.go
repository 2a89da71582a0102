package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/skyhome"
)

// `skyplan controller down` and the VM's `controller active`: destroying
// the controller VM while it still runs jobs or services would leave
// their clusters running with nothing to tear them down (the daemon and
// its records go with the VM), so down refuses and names them. --force
// cancels them through the VM's own daemon and waits until they are
// terminal (their clusters destroyed) before destroying the VM.

// forceDrainTimeout bounds --force's wait for cancelled jobs and
// services to finish tearing down their clusters.
var forceDrainTimeout = 30 * time.Minute

// runControllerActive prints the VM's unfinished jobs and services as JSON
// (remote.Active): the hidden `skyplan controller active`.
func runControllerActive(io *IO) error {
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	js, err := jobs.OpenStore(store)
	if err != nil {
		return err
	}
	list, err := js.List()
	if err != nil {
		return err
	}
	a := remote.Active{Jobs: []remote.ActiveJob{}, Services: []remote.ActiveService{}}
	for _, j := range list {
		if !j.Status.Terminal() {
			a.Jobs = append(a.Jobs, remote.ActiveJob{ID: j.ID, Name: j.Name, Status: string(j.Status)})
		}
	}
	svcs, err := store.ListServices()
	if err != nil {
		return err
	}
	for _, s := range svcs {
		a.Services = append(a.Services, remote.ActiveService{Name: s.Name, Status: string(s.Status)})
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.Out, string(b))
	return nil
}

// describeActive names the jobs and services, one per line.
func describeActive(a remote.Active) string {
	var lines []string
	for _, j := range a.Jobs {
		lines = append(lines, fmt.Sprintf("  managed job %d (%s): %s", j.ID, j.Name, j.Status))
	}
	for _, s := range a.Services {
		lines = append(lines, fmt.Sprintf("  service %s: %s", s.Name, s.Status))
	}
	return strings.Join(lines, "\n")
}

// checkNothingActive asks the VM what still runs; with o.Force it cancels
// that and waits until it is terminal. A nil error lets down go on.
func checkNothingActive(o *ControllerVMOptions, m *cluster.Manager, rec *remote.Record) error {
	io := o.IO
	if rec.Phase != "up" {
		return nil // no daemon was installed (an interrupted up) or the VM is gone (volume kept)
	}
	sh, err := recordedShell(io, m, rec)
	if err != nil {
		if o.Force {
			fmt.Fprintf(io.Err, "Warning: the controller VM is not reachable (%v); destroying it without checking for unfinished jobs (--force). Clusters of jobs it still ran keep their skyplan-cluster tag: `skyplan state rebuild` finds them.\n", err)
			return nil
		}
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot check the controller's jobs",
			Detail: fmt.Sprintf("%v. Destroying the VM while it runs managed jobs or services would leave their clusters without a controller. Run `skyplan controller up` (it starts a stopped VM) and `skyplan controller down` again, or `skyplan controller down --force` to destroy it unchecked.", err)}})
	}
	defer sh.Close()
	ctx := io.Interrupted
	a, err := remote.ActiveWork(ctx, sh)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("asking the controller VM for its unfinished jobs: %w", err)))
	}
	if a.Empty() {
		return nil
	}
	if !o.Force {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "The controller still runs jobs or services",
			Detail: fmt.Sprintf("Controller %s has %d unfinished managed job(s) and %d service(s):\n%s\nDestroying it now would leave their clusters running with nothing to tear them down. Cancel them (`skyplan jobs cancel -a`, `skyplan serve down -a`) and wait, or run `skyplan controller down --force` to cancel them, wait until their clusters are gone, then destroy the VM.",
				rec.Name, len(a.Jobs), len(a.Services), describeActive(a))}})
	}
	fmt.Fprintf(io.Err, "Cancelling on the controller (--force):\n%s\n", describeActive(a))
	if len(a.Jobs) > 0 {
		if code, err := remote.Exec(ctx, sh, []string{"jobs", "cancel", "-a", "-y"}, nil, io.Err, io.Err); err != nil || code != 0 {
			return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("cancelling the controller's jobs: exit %d, %v", code, err)))
		}
	}
	if len(a.Services) > 0 {
		if code, err := remote.Exec(ctx, sh, []string{"serve", "down", "-a", "-y"}, nil, io.Err, io.Err); err != nil || code != 0 {
			return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("taking the controller's services down: exit %d, %v", code, err)))
		}
	}
	deadline := time.Now().Add(forceDrainTimeout)
	for !a.Empty() {
		if time.Now().After(deadline) {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cancelled work did not finish",
				Detail: fmt.Sprintf("After %s the controller still has:\n%s\nThe VM is kept so its daemon can finish tearing their clusters down; run `skyplan controller down --force` again later.", forceDrainTimeout, describeActive(a))}})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
		if a, err = remote.ActiveWork(ctx, sh); err != nil {
			return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("waiting for the cancelled jobs: %w", err)))
		}
	}
	fmt.Fprintln(io.Err, "Every job and service on the controller has finished.")
	return nil
}

func runControllerDown(o *ControllerVMOptions) error {
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
	// Checked before asking: a refusal needs no confirmation. --force
	// cancels only once confirmed.
	if !o.Force {
		if err := checkNothingActive(o, m, rec); err != nil {
			return err
		}
	}
	if !o.Yes {
		what := "the controller VM and its state volume (every job and service record on it)"
		if o.KeepVolume {
			what = "the controller VM (keeping its state volume)"
		}
		if o.Force {
			what += ", after cancelling its unfinished jobs and services"
		}
		if ok, err := confirm(io, fmt.Sprintf("Destroy %s of %s?", what, rec.Name)); err != nil || !ok {
			return abortedOr(err)
		}
	}
	if o.Force {
		if err := checkNothingActive(o, m, rec); err != nil {
			return err
		}
	}
	rec.Phase = "destroying"
	if err := rec.Save(skyhome.Dir()); err != nil {
		return err
	}
	spec := cluster.ControllerSpec{Cloud: rec.Cloud, Region: rec.Region, InstanceType: rec.InstanceType}
	ds := m.ControllerDestroy(io.Interrupted, cluster.ControllerVMRequest{Name: rec.Name, Spec: spec,
		Dir: remote.RecordDir(skyhome.Dir(), rec.Name), KeepVolume: o.KeepVolume, Log: io.Err})
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	os.Remove(cluster.ControllerKnownHosts(rec.Name))
	if o.KeepVolume {
		rec.Phase, rec.InstanceID, rec.PublicIP, rec.PrivateIP = "volume-kept", "", "", ""
		if err := rec.Save(skyhome.Dir()); err != nil {
			return err
		}
		fmt.Fprintf(io.Out, "Controller %s is down; its state volume is kept (`skyplan controller up` reattaches it).\n", rec.Name)
		return done(ds)
	}
	if err := os.RemoveAll(remote.RecordDir(skyhome.Dir(), rec.Name)); err != nil {
		return err
	}
	fmt.Fprintf(io.Out, "Controller %s is down; nothing of it is left.\n", rec.Name)
	return done(ds)
}
