package cli

import (
	"fmt"
	"github.com/skyplan/skyplan/cluster"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/jobs"
	"github.com/urfave/cli/v2"
)

func init() {
	registerJobs(func(io *IO) *cli.Command {
		o := &JobsQueueOptions{IO: io}
		return &cli.Command{
			Name:  "queue",
			Usage: "list managed jobs (newest first)",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Destination: &o.All, Usage: "show every column (task id, failure reason, cost)"},
				&cli.BoolFlag{Name: "skip-finished", Aliases: []string{"s"}, Destination: &o.SkipFinished, Usage: "show only jobs that have not ended"},
				outputFlag(&o.Output, "table", "table or json"),
			},
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runJobsQueue(o) },
		}
	})
}

type jobRow struct {
	ID            int64      `json:"id"`
	Name          string     `json:"name"`
	Status        string     `json:"status"`
	Recoveries    int        `json:"recoveries"`
	Cloud         string     `json:"cloud"`
	Region        string     `json:"region"`
	Zone          string     `json:"zone"`
	UseSpot       bool       `json:"use_spot"`
	SubmittedAt   time.Time  `json:"submitted_at"`
	FailureReason string     `json:"failure_reason"`
	Resources     string     `json:"resources"`
	Restarts      int        `json:"restarts"`
	TaskID        string     `json:"task_id"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	EndedAt       *time.Time `json:"ended_at,omitempty"`
	Cost          float64    `json:"cost"`
	Attempts      []attRow   `json:"attempts"`
}

type attRow struct {
	N            int                `json:"attempt"`
	Cluster      string             `json:"cluster"`
	Cloud        string             `json:"cloud"`
	Region       string             `json:"region"`
	Zone         string             `json:"zone"`
	InstanceType string             `json:"instance_type"`
	UseSpot      bool               `json:"use_spot"`
	HourlyCost   float64            `json:"hourly_cost"`
	StartedAt    time.Time          `json:"started_at"`
	UpAt         *time.Time         `json:"up_at,omitempty"`
	RunningAt    *time.Time         `json:"running_at,omitempty"`
	EndedAt      *time.Time         `json:"ended_at,omitempty"`
	EndReason    string             `json:"end_reason,omitempty"`
	Cost         float64            `json:"cost"`
	Cleaned      bool               `json:"cleaned"`
	Phases       map[string]float64 `json:"phase_seconds,omitempty"`
}

func jobRowOf(j *jobs.Job, atts []*jobs.Attempt, now time.Time) jobRow {
	r := jobRow{ID: j.ID, Name: j.Name, Status: string(j.Status), Recoveries: j.Recoveries, SubmittedAt: j.SubmittedAt,
		FailureReason: j.FailureReason, Restarts: j.Restarts, TaskID: j.Spec.TaskID, StartedAt: j.StartedAt, EndedAt: j.EndedAt,
		Attempts: []attRow{}}
	for _, a := range atts {
		c := a.Cost(now)
		r.Cost += c
		r.Attempts = append(r.Attempts, attRow{N: a.N, Cluster: a.Cluster, Cloud: a.Cloud, Region: a.Region, Zone: a.Zone,
			InstanceType: a.InstanceType, UseSpot: a.UseSpot, HourlyCost: a.HourlyCost, StartedAt: a.StartedAt, UpAt: a.UpAt, RunningAt: a.RunningAt,
			EndedAt: a.EndedAt, EndReason: a.EndReason, Cost: c, Cleaned: a.Cleaned, Phases: a.Phases})
	}
	if len(atts) > 0 {
		a := atts[len(atts)-1]
		r.Cloud, r.Region, r.Zone, r.UseSpot = a.Cloud, a.Region, a.Zone, a.UseSpot
		if a.InstanceType != "" {
			r.Resources = cluster.ResourcesLabel(max(1, a.NumNodes), a.InstanceType, nil, a.UseSpot)
		}
	}
	if r.Resources == "" && j.Spec.Task != nil {
		r.Resources = fmt.Sprintf("%dx %s", max(1, j.Spec.Task.NumNodes), resourcesWanted(j))
	}
	return r
}

func resourcesWanted(j *jobs.Job) string {
	if len(j.Spec.Task.Resources.Items) == 0 {
		return "-"
	}
	return j.Spec.Task.Resources.Items[0].String()
}

// JobsQueueOptions are the command's flags and arguments.
type JobsQueueOptions struct {
	IO           *IO
	Args         []string
	All          bool
	SkipFinished bool
	Output       string
}

func runJobsQueue(o *JobsQueueOptions) error {
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
	js, err := jobs.OpenStore(store)
	if err != nil {
		return err
	}
	list, err := js.List()
	if err != nil {
		return err
	}
	now := time.Now()
	rows := []jobRow{}
	var shown []*jobs.Job
	active := false
	for _, j := range list {
		if o.SkipFinished && j.Status.Terminal() {
			continue
		}
		active = active || !j.Status.Terminal()
		atts, err := js.Attempts(j.ID)
		if err != nil {
			return err
		}
		rows = append(rows, jobRowOf(j, atts, now))
		shown = append(shown, j)
	}
	if active {
		// A job recorded while no controller ran (it crashed, or its start
		// failed) is picked up now rather than never.
		if _, err := ensureController(io); err != nil {
			fmt.Fprintf(io.Err, "Warning: the controller is not running and could not be started: %v\n", err)
		}
	}
	if io.jsonView() {
		io.setResult(map[string]any{"jobs": rows})
		return nil
	}
	if len(rows) == 0 {
		fmt.Fprintln(io.Err, "No managed jobs. Submit one with `skyplan jobs launch task.yaml`.")
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	head := "ID\tNAME\tRESOURCES\tSUBMITTED\tTOT. DURATION\tJOB DURATION\t#RECOVERIES\tSTATUS\tINFRA"
	if o.All {
		head += "\tCOST\tTASK ID\tFAILURE REASON"
	}
	fmt.Fprintln(tw, head)
	for i, r := range rows {
		j := shown[i]
		tot := now.Sub(r.SubmittedAt)
		if r.EndedAt != nil {
			tot = r.EndedAt.Sub(r.SubmittedAt)
		}
		infra := "-"
		if r.Cloud != "" && !j.Status.Terminal() {
			infra = cluster.InfraLabel(r.Cloud, r.Region, r.Zone)
		}
		line := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s", r.ID, r.Name, r.Resources, ago(now.Sub(r.SubmittedAt)),
			cluster.FormatDuration(tot), jobDuration(j, now), r.Recoveries, r.Status, infra)
		if o.All {
			line += fmt.Sprintf("\t$%.3f\t%s\t%s", r.Cost, r.TaskID, dashIfEmpty(r.FailureReason))
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// jobDuration is the time the job's run was RUNNING: first start to end
// (or now), as SkyPilot's JOB DURATION.
func jobDuration(j *jobs.Job, now time.Time) string {
	if j.StartedAt == nil {
		return "-"
	}
	end := now
	if j.EndedAt != nil {
		end = *j.EndedAt
	}
	return cluster.FormatDuration(end.Sub(*j.StartedAt))
}

func dashIfEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
