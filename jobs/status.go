package jobs

// Status of a managed job: exactly SkyPilot's ManagedJobStatus values.
type Status string

const (
	Pending          Status = "PENDING"
	Starting         Status = "STARTING"
	Running          Status = "RUNNING"
	Recovering       Status = "RECOVERING"
	Succeeded        Status = "SUCCEEDED"
	Failed           Status = "FAILED"
	FailedSetup      Status = "FAILED_SETUP"
	FailedPrechecks  Status = "FAILED_PRECHECKS"
	FailedNoResource Status = "FAILED_NO_RESOURCE"
	Cancelling       Status = "CANCELLING"
	Cancelled        Status = "CANCELLED"
	FailedController Status = "FAILED_CONTROLLER"
)

// AllStatuses in SkyPilot's order.
var AllStatuses = []Status{Pending, Starting, Running, Recovering, Succeeded, Failed, FailedSetup,
	FailedPrechecks, FailedNoResource, Cancelling, Cancelled, FailedController}

// Terminal reports whether the job will not change any more.
func (s Status) Terminal() bool {
	switch s {
	case Succeeded, Failed, FailedSetup, FailedPrechecks, FailedNoResource, Cancelled, FailedController:
		return true
	}
	return false
}

// Failure reports whether s is a failure state (each carries a reason).
func (s Status) Failure() bool {
	switch s {
	case Failed, FailedSetup, FailedPrechecks, FailedNoResource, FailedController:
		return true
	}
	return false
}

// Attempt phases: where one attempt (one cluster) is in its life.
type Phase string

const (
	// PhaseLaunching: recorded before the first Terraform call; the
	// cluster may or may not exist (its Terraform state says).
	PhaseLaunching Phase = "LAUNCHING"
	// PhaseSubmitting: the cluster is up; recorded before the job is
	// submitted to the head, so a restart looks for it before submitting
	// again.
	PhaseSubmitting Phase = "SUBMITTING"
	// PhaseRunning: the head knows the job (HeadJob).
	PhaseRunning Phase = "RUNNING"
	// PhaseEnded: the attempt is over (EndReason); its cluster is being
	// or has been destroyed (Cleaned).
	PhaseEnded Phase = "ENDED"
)
