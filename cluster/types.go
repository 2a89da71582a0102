package cluster

import (
	"time"

	"io"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// ChangeSummary counts what a Terraform plan adds, changes and destroys.
type ChangeSummary = provision.ChangeSummary

// Failure is one failed provisioning attempt (placement, class, reason).
type Failure = provision.Failure

// JobInfo is one row of a cluster's job queue.
type JobInfo = runner.JobInfo

// Job statuses on a cluster's queue (SkyPilot's).
const (
	JobPending     = runner.JobPending
	JobSettingUp   = runner.JobSettingUp
	JobRunning     = runner.JobRunning
	JobSucceeded   = runner.JobSucceeded
	JobFailed      = runner.JobFailed
	JobFailedSetup = runner.JobFailedSetup
	JobCancelled   = runner.JobCancelled
)

// JobTerminal reports whether a job status is final.
func JobTerminal(status string) bool { return runner.Terminal(status) }

// Constraints narrow where Launch may place a cluster.
type Constraints struct {
	// Blocked locations are never tried (e.g. a zone that was preempted).
	Blocked []optimizer.Blocked
	// UseSpot, when set, overrides every resource candidate's use_spot.
	UseSpot *bool
	// Candidates, when set, are the placements to try, in order, instead
	// of the optimizer's (a pipeline's chosen placement and alternatives).
	Candidates []optimizer.Placement
}

// LaunchRequest is one Launch.
type LaunchRequest struct {
	// Cluster is the cluster's name (required).
	Cluster string
	// Task is what to run. Launch does not modify it.
	Task *task.Task
	Constraints
	// Optimizer are the optimizer's base options (enabled clouds, pool
	// sizes); Catalog defaults to the Manager's.
	Optimizer optimizer.Options
	// SSHCIDRs may reach the nodes over SSH (default: config ssh_cidrs).
	SSHCIDRs []string
	// PortsCIDRs may reach the task's ports (default: config ports_cidrs).
	PortsCIDRs []string
	// RetryUntilUp starts over after a pause when every placement failed.
	RetryUntilUp bool
	// Planned, when set, sees the optimizer's plan before anything is
	// provisioned (not when an UP cluster is reused, nor with Candidates).
	Planned func(*optimizer.TaskPlan)
	// Confirm, when set, is asked once before anything is created: with
	// Terraform's change summary for a cloud, with nil for an SSH node
	// pool. false aborts (Nothing was created).
	Confirm func(p optimizer.Placement, s *ChangeSummary) (bool, error)
	// ProvisionOnly stops once the cluster is UP (no setup/run).
	ProvisionOnly bool
	// Detach submits the job and returns (JobResult.Status PENDING).
	Detach bool
	// TaskFile is recorded with the cluster; BaseDir resolves relative
	// local bucket sources (default: TaskFile's directory).
	TaskFile, BaseDir string
	// Log receives this launch's progress (default: the Manager's Log).
	Log io.Writer
}

// LaunchResult is what Launch and ApplySaved did.
type LaunchResult struct {
	// Cluster is the record after provisioning, with its nodes; nil when
	// nothing came UP.
	Cluster *state.Cluster
	// Reused: the cluster was UP and the task fits it; nothing was
	// provisioned.
	Reused bool
	// Failures are the failed attempts before success (or all of them).
	Failures []Failure
	// NoResource: nothing came UP because every placement was refused
	// (capacity, quota, spot) or none is left outside Constraints.Blocked;
	// a controller waits and retries. Other failures are the task's or
	// the configuration's and would fail again.
	NoResource bool
	// Job is the job run on the cluster (nil with ProvisionOnly or when
	// provisioning failed).
	Job *JobResult
}

// JobResult is the outcome of a job submitted by Launch or Exec.
type JobResult struct {
	Cluster string
	ID      int
	// Status is a Job* status; PENDING or RUNNING for a detached job.
	Status string
	// ExitCode is 0, or the failing node's exit code (1 if unknown).
	ExitCode int
	// ReturnCodes of the run, by rank (137 = stopped, -1 = node lost).
	ReturnCodes []int
	// Message says what failed, naming the node, its rank and exit code.
	Message string
	// LogDir holds the local per-node logs.
	LogDir string
}

func jobResult(cluster string, r runner.Result) *JobResult {
	return &JobResult{Cluster: cluster, ID: r.JobID, Status: r.Status, ExitCode: r.ExitCode,
		ReturnCodes: r.ReturnCodes, Message: r.Message, LogDir: r.LogDir}
}

// PlacementOf is the placement cluster sc was launched with.
func PlacementOf(sc *state.Cluster) optimizer.Placement {
	return optimizer.Placement{Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone,
		InstanceType: sc.InstanceType, Accelerators: sc.Accelerators, UseSpot: sc.UseSpot,
		HourlyCost: sc.HourlyCost, NumNodes: sc.NumNodes}
}

// AccountZone is the name the cloud account gives the zone cluster sc's
// nodes are in, when it differs from the zone skyplan priced: AWS places
// by zone ID and shuffles zone names per account, so the catalog's
// us-east-1a may be us-east-1c here. "" when they agree or are unknown.
func AccountZone(sc *state.Cluster) string {
	if len(sc.Nodes) == 0 || sc.Nodes[0].Zone == "" || sc.Nodes[0].Zone == sc.Zone || sc.Zone == "" {
		return ""
	}
	return sc.Nodes[0].Zone
}

// PlacedLabel renders where a cluster is: "AWS (us-east-1a)", or with the
// account's own name of the priced zone (AccountZone), "AWS (us-east-1c,
// priced as us-east-1a)".
func PlacedLabel(cloud, region, zone, accountZone string) string {
	if accountZone != "" {
		zone = accountZone + ", priced as " + zone
	}
	return InfraLabel(cloud, region, zone)
}

// InfraLabel renders a location as "AWS (us-east-1a)".
func InfraLabel(cloud, region, zone string) string { return provision.InfraLabel(cloud, region, zone) }

// ResourcesLabel renders "2x(gpus=T4:1, g4dn.xlarge)[Spot]".
func ResourcesLabel(numNodes int, instanceType string, accels map[string]float64, spot bool) string {
	return provision.ResourcesLabel(numNodes, instanceType, accels, spot)
}

// FormatDuration renders a job's duration as SkyPilot's queue does.
func FormatDuration(d time.Duration) string { return runner.FormatDuration(d) }
