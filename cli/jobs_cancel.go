package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "cancel",
			Usage:     "cancel managed jobs: the controller stops them and destroys their clusters",
			ArgsUsage: "[ID...]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "cancel the unfinished jobs named `NAME`"},
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "cancel every unfinished job"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			},
			Action: func(c *cli.Context) error { return runJobsCancel(c, io) },
		}
	})
}

func runJobsCancel(c *cli.Context, io *IO) error {
	given := 0
	for _, b := range []bool{c.NArg() > 0, c.IsSet("name"), c.Bool("all")} {
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
	if c.NArg() > 0 {
		for _, arg := range c.Args().Slice() {
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
			if !j.Status.Terminal() && (c.Bool("all") || j.Name == c.String("name")) {
				targets = append(targets, j)
			}
		}
		if len(targets) == 0 {
			what := "unfinished managed jobs"
			if c.IsSet("name") {
				what = fmt.Sprintf("unfinished managed jobs named %q", c.String("name"))
			}
			fmt.Fprintf(io.Err, "No %s to cancel.\n", what)
			return nil
		}
	}
	if !c.Bool("yes") {
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
