package cli

import (
	"errors"
	"fmt"
	"github.com/skyplan/skyplan/cluster"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/serve/service"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		o := &ServeLogsOptions{IO: io}
		return &cli.Command{
			Name:      "logs",
			Usage:     "show a replica's logs, or the service's controller or load balancer log",
			ArgsUsage: "NAME [REPLICA_ID]",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "controller", Destination: &o.Controller, Usage: "the service controller's log"},
				&cli.BoolFlag{Name: "load-balancer", Destination: &o.LoadBalancer, Usage: "the load balancer's log"},
				&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Destination: &o.Follow, Usage: "keep printing new lines (Ctrl-C stops)"},
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runServeLogs(o) },
		}
	})
}

// ServeLogsOptions are `skyplan serve logs`'s flags and arguments.
type ServeLogsOptions struct {
	IO           *IO
	Args         []string
	Controller   bool
	LoadBalancer bool
	Follow       bool
}

func runServeLogs(o *ServeLogsOptions) error {
	io := o.IO
	// A controller VM has its services' logs.
	if handled, err := forwardToController(io, false, nil); handled {
		return err
	}
	name := firstArg(o.Args)
	usage := diag.Diagnostic{Severity: diag.Error, Summary: "Wrong arguments",
		Detail: "Usage: skyplan serve logs NAME REPLICA_ID, or skyplan serve logs NAME --controller|--load-balancer."}
	if name == "" || len(o.Args) > 2 {
		return Exit(ExitFailure, diag.Diagnostics{usage})
	}
	ctl, lb := o.Controller, o.LoadBalancer
	if (ctl || lb) == (len(o.Args) == 2) || (ctl && lb) {
		return Exit(ExitFailure, diag.Diagnostics{usage})
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := store.GetService(name)
	if errors.Is(err, state.ErrNotFound) {
		// Logs outlive the service: a torn-down service's files remain.
		if _, serr := os.Stat(service.ControllerLog(name)); serr != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("No service named %q", name),
				Detail: "See `skyplan serve status` for the services skyplan knows."}})
		}
	} else if err != nil {
		return err
	}
	if ctl || lb {
		path := service.ControllerLog(name)
		if lb {
			path = service.LoadBalancerLog(name)
		}
		return catFile(io, path, o.Follow)
	}
	id, err := strconv.Atoi(o.Args[1])
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid replica id",
			Detail: fmt.Sprintf("%q is not a replica id; see the ID column of `skyplan serve status %s`.", o.Args[1], name)}})
	}
	var reps []*state.Replica
	if svc != nil {
		if reps, err = store.ListReplicas(svc.Name); err != nil {
			return err
		}
	}
	for _, r := range reps {
		if r.ID == id && !r.Status.Terminal() {
			return replicaLogs(io, r, o.Follow)
		}
	}
	// A replica torn down (scaled down, replaced, failed, preempted, or
	// the whole service) keeps the logs saved before its teardown.
	if saved := service.ReplicaLog(name, id); fileExists(saved) {
		return catFile(io, saved, false)
	}
	for _, r := range reps {
		if r.ID == id {
			return replicaLogs(io, r, o.Follow)
		}
	}
	return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Service %s has no replica %d", name, id),
		Detail: fmt.Sprintf("See the ID column of `skyplan serve status %s`.", name)}})
}

// catFile prints a log file, and with follow keeps printing what is
// appended until interrupted.
func catFile(streams *IO, path string, follow bool) error {
	f, err := os.Open(path)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No log yet",
			Detail: fmt.Sprintf("%s does not exist: the controller has not started this service yet.", path)}})
	}
	defer f.Close()
	for {
		if _, err := io.Copy(streams.Out, f); err != nil {
			return err
		}
		if !follow {
			return nil
		}
		select {
		case <-streams.Interrupted.Done():
			return nil
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// replicaLogs streams the replica's job logs from its cluster's head.
func replicaLogs(streams *IO, r *state.Replica, follow bool) error {
	if r.Status.Terminal() {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Replica %d is %s", r.ID, r.Status),
			Detail: "Its cluster is gone and no logs were saved before it went (its machine was gone first). " + r.Reason}})
	}
	m, closeM, err := openManager(streams, true)
	if err != nil {
		return err
	}
	defer closeM()
	if _, ds := m.Get(r.Cluster); ds.HasErrors() {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Replica %d has no cluster yet", r.ID),
			Detail: fmt.Sprintf("Replica %d is %s; its logs are available once its cluster %s is up.", r.ID, r.Status, r.Cluster)}})
	}
	_, ds := m.Logs(streams.Interrupted, cluster.LogsRequest{Cluster: r.Cluster, Follow: follow, Out: streams.Out})
	return ds.Err()
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
