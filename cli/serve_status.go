package cli

import (
	"errors"
	"fmt"
	"github.com/skyplan/skyplan/cluster"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		o := &ServeStatusOptions{IO: io}
		return &cli.Command{
			Name:      "status",
			Usage:     "show services and their replicas",
			ArgsUsage: "[NAME...]",
			Flags: []cli.Flag{
				outputFlag(&o.Output, "table", "table or json"),
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runServeStatus(o) },
		}
	})
}

// serveAutostart lets status restart a dead controller (off in this
// package's unit tests, whose binary is not skyplan).
var serveAutostart = true

// serviceView is one service with its replicas, as status shows it.
type serviceView struct {
	svc      *state.Service
	replicas []*state.Replica
}

// ServeStatusOptions are `skyplan serve status`'s flags and arguments.
type ServeStatusOptions struct {
	IO     *IO
	Args   []string
	Output string
}

func runServeStatus(o *ServeStatusOptions) error {
	io := o.IO
	// A controller VM answers for its own jobs and services.
	if handled, err := forwardToController(io, false, nil); handled {
		return err
	}
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	views, ds := loadServiceViews(store, o.Args)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if len(views) > 0 && serveAutostart && serveControllerAvailable() == nil {
		// Services need their controller: if it died (a crash, kill -9,
		// a reboot) start it again; it resumes from state.db.
		if st, err := controller.Probe(controller.FilesIn(skyhome.Dir())); err == nil && !st.Running {
			fmt.Fprintln(io.Err, "The controller was not running; starting it (services resume where they were).")
			if _, err := ensureController(io); err != nil {
				// Warnings: the status below is still the answer (exit 0).
				for _, d := range (diag.Diagnostics{}).Append(err) {
					d.Severity = diag.Warning
					ds = append(ds, d)
				}
			}
		}
	}
	if io.jsonView() {
		io.setResult(servicesDocument(views))
		return done(ds)
	}
	writeServicesTable(io.Out, views, time.Now())
	return done(ds)
}

func loadServiceViews(store *state.Store, names []string) ([]serviceView, diag.Diagnostics) {
	var svcs []*state.Service
	var ds diag.Diagnostics
	if len(names) == 0 {
		all, err := store.ListServices()
		if err != nil {
			return nil, ds.Append(err)
		}
		svcs = all
	}
	for _, n := range names {
		svc, err := store.GetService(n)
		if errors.Is(err, state.ErrNotFound) {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No service named %q", n),
				Detail: "See `skyplan serve status` for the services skyplan knows."})
			continue
		}
		if err != nil {
			return nil, ds.Append(err)
		}
		svcs = append(svcs, svc)
	}
	var views []serviceView
	for _, s := range svcs {
		reps, err := store.ListReplicas(s.Name)
		if err != nil {
			return nil, ds.Append(err)
		}
		views = append(views, serviceView{s, reps})
	}
	return views, ds
}

// The JSON shape is the contract:
// {"services":[{"name","status","endpoint","version","replicas":[{"id","status","version","cloud","region","zone","use_spot","ip"}]}]}
type serviceJSON struct {
	Name     string        `json:"name"`
	Status   string        `json:"status"`
	Endpoint string        `json:"endpoint"`
	Version  int           `json:"version"`
	Replicas []replicaJSON `json:"replicas"`
}

type replicaJSON struct {
	ID      int    `json:"id"`
	Status  string `json:"status"`
	Version int    `json:"version"`
	Cloud   string `json:"cloud"`
	Region  string `json:"region"`
	Zone    string `json:"zone"`
	UseSpot bool   `json:"use_spot"`
	IP      string `json:"ip"`
}

// servicesDocument is status's JSON document.
func servicesDocument(views []serviceView) any {
	out := struct {
		Services []serviceJSON `json:"services"`
	}{Services: []serviceJSON{}}
	for _, v := range views {
		sj := serviceJSON{Name: v.svc.Name, Status: string(v.svc.Status), Endpoint: v.svc.Endpoint, Version: v.svc.Version, Replicas: []replicaJSON{}}
		for _, r := range v.replicas {
			sj.Replicas = append(sj.Replicas, replicaJSON{ID: r.ID, Status: string(r.Status), Version: r.Version,
				Cloud: r.Cloud, Region: r.Region, Zone: r.Zone, UseSpot: r.UseSpot, IP: r.IP})
		}
		out.Services = append(out.Services, sj)
	}
	return out
}

func writeServicesTable(w io.Writer, views []serviceView, now time.Time) {
	if len(views) == 0 {
		fmt.Fprintln(w, "No services.")
		return
	}
	fmt.Fprintln(w, "Services")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tUPTIME\tSTATUS\tREPLICAS\tENDPOINT")
	for _, v := range views {
		ready, total := 0, 0
		for _, r := range v.replicas {
			if r.Status.Terminal() {
				continue
			}
			total++
			if r.Status == state.ReplicaReady {
				ready++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d/%d\t%s\n", v.svc.Name, v.svc.Version, cluster.FormatDuration(now.Sub(v.svc.CreatedAt)),
			v.svc.Status, ready, total, orDash(v.svc.Endpoint))
	}
	tw.Flush()
	var notes []string
	for _, v := range views {
		if v.svc.Message != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", v.svc.Name, v.svc.Message))
		}
		if len(v.replicas) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nService Replicas (%s)\n", v.svc.Name)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tVERSION\tINFRA\tRESOURCES\tSTATUS\tLAUNCHED")
		for _, r := range v.replicas {
			infra, res := "-", "-"
			if r.Cloud != "" {
				infra = cluster.InfraLabel(r.Cloud, r.Region, r.Zone)
			}
			switch {
			case r.Resources != "":
				res = r.Resources
			case r.UseSpot:
				res = "[Spot]"
			}
			launched := "-"
			if !r.LaunchedAt.IsZero() {
				launched = cluster.FormatDuration(now.Sub(r.LaunchedAt)) + " ago"
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Version, infra, res, r.Status, launched)
			if r.Status.Terminal() && r.Reason != "" {
				notes = append(notes, fmt.Sprintf("%s replica %d %s: %s", v.svc.Name, r.ID, r.Status, r.Reason))
			}
		}
		tw.Flush()
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, strings.TrimSpace(n))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
