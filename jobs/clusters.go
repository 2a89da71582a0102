package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/skyplan/skyplan/task"
)

// Clusters is everything the jobs controller does to clouds and nodes:
// the narrow seam to the cluster manager (cluster.Manager in production,
// a fake in tests). Every method is keyed by the attempt's cluster name,
// which is what makes the controller's retries after a crash idempotent.
type Clusters interface {
	// Launch brings cluster req.Cluster up for req.Task through the
	// fallback loop, avoiding req.Blocked. It must be idempotent: a
	// cluster that is already UP and healthy is returned as it is (no
	// apply); a half-created one (a crash mid-apply) is destroyed first,
	// so one attempt never owns two clusters. Errors wrap ErrNoResource
	// (every placement refused) or ErrPrecheck (the task or the
	// configuration cannot work anywhere); anything else is retried.
	Launch(ctx context.Context, req LaunchRequest) (*Placement, error)
	// Submit starts the task (sync, file mounts, setup, run) detached on
	// the cluster as a job named req.JobName and returns the head's job id.
	Submit(ctx context.Context, req SubmitRequest) (int, error)
	// FindJob returns the id of the head job named name (0 if none): the
	// restart check before submitting again.
	FindJob(ctx context.Context, cluster, name string) (int, error)
	// JobStatus polls the head for a job's state (runner's job states).
	// An error means the head did not answer, nothing more.
	JobStatus(ctx context.Context, cluster string, headJob int) (HeadStatus, error)
	// Healthy asks the cloud (its instance states API, or a refresh of
	// the cluster's Terraform state) whether every instance of the
	// cluster still exists and runs.
	Healthy(ctx context.Context, cluster string) (Health, error)
	// Logs writes the head job's logs (every node, prefixed) to w; with
	// follow it streams until the job ends or the connection dies.
	Logs(ctx context.Context, cluster string, headJob int, follow bool, w io.Writer) error
	// CancelJob stops the head job (best effort before a teardown).
	CancelJob(ctx context.Context, cluster string, headJob int) error
	// Down destroys every resource of the cluster and forgets it; a
	// cluster that does not exist is not an error.
	Down(ctx context.Context, cluster string) error
}

// LaunchRequest is one attempt's provisioning.
type LaunchRequest struct {
	Cluster string
	Task    *task.Task
	Blocked []Location
	// UseSpot overrides the task's use_spot (the deadline policy).
	UseSpot *bool
	// Prefer is tried before anything else (FAILOVER: the last region).
	Prefer *Location
	// SSHCIDRs may SSH to the cluster (the job's Spec.SSHCIDRs).
	SSHCIDRs []string
	Log      io.Writer
}

// SubmitRequest is one attempt's job.
type SubmitRequest struct {
	Cluster string
	Task    *task.Task
	JobName string
	// Env is added to the task's envs: SKYPILOT_TASK_ID (stable across
	// attempts) and the recovery count.
	Env map[string]string
	// TaskID is SKYPILOT_TASK_ID.
	TaskID string
	Log    io.Writer
}

// Placement is where an attempt landed.
type Placement struct {
	Cloud, Region, Zone, InstanceType string
	UseSpot                           bool
	HourlyCost                        float64
	NumNodes                          int
}

// HeadStatus is the head's view of the attempt's job.
type HeadStatus struct {
	Status   string // runner.Job* (PENDING, SETTING_UP, RUNNING, SUCCEEDED, FAILED, FAILED_SETUP, CANCELLED)
	ExitCode *int
}

// Health is the cloud's view of a cluster.
type Health struct {
	Up     bool   // every instance exists and runs
	Detail string // what is missing or stopped when !Up
	Via    string // how the cloud was asked (for the job's controller log)
}

func (h Health) via() string {
	if h.Via == "" {
		return ""
	}
	return " (asked via " + h.Via + ")"
}

// ErrNoResource: every placement was refused (capacity, quota, spot).
var ErrNoResource = errors.New("no resource")

// ErrPrecheck: the task cannot be launched anywhere as written.
var ErrPrecheck = errors.New("precheck failed")

// LaunchError tags err with one of ErrNoResource/ErrPrecheck.
func LaunchError(kind, err error) error { return &launchError{kind, err} }

type launchError struct{ kind, err error }

func (e *launchError) Error() string        { return e.err.Error() }
func (e *launchError) Is(target error) bool { return target == e.kind }
func (e *launchError) Unwrap() error        { return e.err }

func (l Location) String() string {
	s := l.Cloud
	if l.Region != "" {
		s += "/" + l.Region
	}
	if l.Zone != "" {
		s += "/" + l.Zone
	}
	return s
}

var _ = fmt.Sprint
