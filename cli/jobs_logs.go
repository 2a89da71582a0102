package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		o := &JobsLogsOptions{IO: io}
		return &cli.Command{
			Name:      "logs",
			Usage:     "print a managed job's logs (every attempt's are kept), or what the controller did",
			ArgsUsage: "ID",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "attempt", Destination: &o.Attempt, Usage: "the logs of attempt `N` (1 = the first launch; default: follow the job from its current attempt)"},
				&cli.BoolFlag{Name: "no-follow", Destination: &o.NoFollow, Usage: "print what there is and return"},
				&cli.BoolFlag{Name: "controller", Destination: &o.Controller, Usage: "the controller's log of this job (launches, polls, recoveries, Terraform progress)"},
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runJobsLogs(o) },
		}
	})
}

// openJobs opens the managed-job store.
func openJobs() (*jobs.Store, func(), error) {
	store, err := openStore()
	if err != nil {
		return nil, nil, err
	}
	js, err := jobs.OpenStore(store)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return js, func() { store.Close() }, nil
}

func parseJobID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid job ID",
			Detail: fmt.Sprintf("%q is not a managed job ID (a positive number). See `skyplan jobs queue`.", s)}
	}
	return id, nil
}

func getJob(js *jobs.Store, id int64) (*jobs.Job, error) {
	j, err := js.Get(id)
	if errors.Is(err, jobs.ErrNotFound) {
		return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("No managed job %d", id),
			Detail: "See `skyplan jobs queue` for the jobs skyplan knows."}})
	}
	return j, err
}

// JobsLogsOptions are the command's flags and arguments.
type JobsLogsOptions struct {
	IO         *IO
	Args       []string
	Attempt    int
	NoFollow   bool
	Controller bool
}

func runJobsLogs(o *JobsLogsOptions) error {
	io := o.IO
	// A controller VM answers for its own jobs and services.
	if handled, err := forwardToController(io, false, nil); handled {
		return err
	}
	if len(o.Args) != 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "jobs logs takes one job ID",
			Detail: "Give the managed job ID: skyplan jobs logs ID (see skyplan jobs queue)."}})
	}
	id, err := parseJobID(firstArg(o.Args))
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	js, closeStore, err := openJobs()
	if err != nil {
		return err
	}
	defer closeStore()
	j, err := getJob(js, id)
	if err != nil {
		return err
	}
	if o.Controller {
		return catJobFile(io.Out, jobs.ControllerLog(skyhome.Dir(), id), fmt.Sprintf("The controller has not logged anything for job %d yet.", id), io)
	}
	atts, err := js.Attempts(id)
	if err != nil {
		return err
	}
	n := o.Attempt
	if n < 0 || (n > 0 && n > len(atts)) {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Job %d has no attempt %d", id, n),
			Detail: fmt.Sprintf("Job %d has %d attempt(s) so far; --attempt takes 1 to %d.", id, len(atts), len(atts)), Field: "--attempt"}})
	}
	if len(atts) == 0 {
		if o.NoFollow {
			fmt.Fprintf(io.Err, "Job %d is %s; it has not been launched yet.\n", id, j.Status)
			return nil
		}
		return followJobTo(io, js, id, 0)
	}
	if n == 0 && o.NoFollow {
		n = len(atts)
	}
	if n > 0 {
		a := atts[n-1]
		if a.Phase == jobs.PhaseEnded || o.NoFollow || a.HeadJob == 0 {
			if a.Phase != jobs.PhaseEnded && a.HeadJob > 0 {
				// A live attempt: ask its head.
				cfg, err := loadConfig()
				if err != nil {
					return err
				}
				store, err := openStore()
				if err != nil {
					return err
				}
				defer store.Close()
				jc := &jobClusters{io: io, cfg: cfg, store: store}
				if err := jc.Logs(io.Interrupted, a.Cluster, a.HeadJob, false, io.Out); err == nil {
					return nil
				}
			}
			return catJobFile(io.Out, jobs.AttemptLog(skyhome.Dir(), id, n),
				fmt.Sprintf("Attempt %d of job %d left no logs (it ended before its job started: %s).", n, id, dashIfEmpty(a.EndReason)), io)
		}
	}
	return followJobTo(io, js, id, n)
}

// followJobTo streams the job's logs to stdout (results of this command).
func followJobTo(io *IO, js *jobs.Store, id int64, n int) error {
	cp := *io
	cp.Err = io.Out
	status := *io
	_ = status
	return followJob(&cp, js, id, n, false)
}

func catJobFile(w io.Writer, path, empty string, io *IO) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintln(io.Err, empty)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteTo(w)
	return err
}
