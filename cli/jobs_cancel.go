package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		o := &JobsCancelOptions{IO: io}
		return &cli.Command{
			Name:      "cancel",
			Usage:     "cancel managed jobs: the controller stops them and destroys their clusters",
			ArgsUsage: "[ID...]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Destination: &o.Name, Usage: "cancel the unfinished jobs named `NAME`",
					Action: func(*cli.Context, string) error { o.NameSet = true; return nil }},
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.All, Usage: "cancel every unfinished job"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runJobsCancel(o) },
		}
	})
}

// JobsCancelOptions are the command's flags and arguments.
type JobsCancelOptions struct {
	IO      *IO
	Args    []string
	Name    string
	NameSet bool
	All     bool
	Yes     bool
}

func runJobsCancel(o *JobsCancelOptions) error {
	io := o.IO
	// A controller VM answers for its own jobs and services.
	if handled, err := forwardToController(io, false, nil); handled {
		return err
	}
	given := 0
	for _, b := range []bool{len(o.Args) > 0, o.NameSet, o.All} {
		if b {
			given++
		}
	}
	if given != 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Say which jobs to cancel",
			Detail: "Give job IDs, -n NAME or -a (exactly one of them): skyplan jobs cancel 3 4, skyplan jobs cancel -n train, skyplan jobs cancel -a."}})
	}
	js, closeStore, err := openJobs()
	if err != nil {
		return err
	}
	defer closeStore()
	var targets []*jobs.Job
	var ds diag.Diagnostics
	if len(o.Args) > 0 {
		for _, arg := range o.Args {
			id, err := parseJobID(arg)
			if err != nil {
				ds = ds.Append(err)
				continue
			}
			j, err := js.Get(id)
			if err != nil {
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No managed job %d", id),
					Detail: "See `skyplan jobs queue` for the jobs skyplan knows; nothing was cancelled."})
				continue
			}
			targets = append(targets, j)
		}
		if ds.HasErrors() {
			return Exit(ExitFailure, ds)
		}
	} else {
		list, err := js.List()
		if err != nil {
			return err
		}
		for _, j := range list {
			if !j.Status.Terminal() && (o.All || j.Name == o.Name) {
				targets = append(targets, j)
			}
		}
		if len(targets) == 0 {
			what := "unfinished managed jobs"
			if o.NameSet {
				what = fmt.Sprintf("unfinished managed jobs named %q", o.Name)
			}
			fmt.Fprintf(io.Err, "No %s to cancel.\n", what)
			return nil
		}
	}
	if !o.Yes {
		ids := ""
		for _, j := range targets {
			ids += fmt.Sprintf(" %d", j.ID)
		}
		if ok, err := confirm(io, fmt.Sprintf("Cancel managed job(s)%s and destroy their clusters?", ids)); err != nil || !ok {
			return abortedOr(err)
		}
	}
	requested := 0
	for _, j := range targets {
		ok, err := js.RequestCancel(j.ID)
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintf(io.Err, "Job %d already ended (%s); nothing to cancel.\n", j.ID, j.Status)
			continue
		}
		requested++
		fmt.Fprintf(io.Out, "Cancelling job %d (%s).\n", j.ID, j.Name)
	}
	if requested > 0 {
		if _, err := ensureController(io); err != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Controller did not start",
				Detail: fmt.Sprintf("The cancellation is recorded, but no controller runs to act on it: %v", err)}})
		}
		fmt.Fprintln(io.Err, "The controller stops the job(s) and destroys their clusters; `skyplan jobs queue` shows CANCELLED when done.")
	}
	return nil
}
