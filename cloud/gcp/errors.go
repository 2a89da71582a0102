package gcp

import (
	"regexp"

	"github.com/skyplan/skyplan/cloud"
)

// GCP error families: Compute Engine / TPU API reasons and codes as the
// API returns them (plain, or wrapped as "googleapi: Error 403: …,
// quotaExceeded", "Error waiting for instance to create:", "Error code 8").
var errorTable = &cloud.ErrorTable{
	Rules: []cloud.ErrorRule{
		{Class: cloud.Config, Pattern: `Invalid value for field|badRequest|HttpError 400|accessNotConfigured|Access Not Configured|CREATION_FAILED|bad request|Requested disk size cannot be smaller`},
		{Class: cloud.Spot, Pattern: `preemption\b|[Pp]reempted|Preemptible[A-Za-z]*Per`},
		// "Insufficient regional quota to satisfy request for resource:
		// "CPUS". … The regional quota is '8.0' with '8.0' available." is the
		// API's own wording (GKE lowercases it inside its own message).
		{Class: cloud.Quota, Code: "QUOTA_EXCEEDED", Pattern: `QUOTA_EXCEEDED|quotaExceeded|Quota '[A-Z0-9_]+' exceeded|(?i:insufficient regional quota)|The regional quota is|Quota limit '[^']+' has been exceeded|QuotaFailure`},
		{Class: cloud.Transient, Pattern: `transientError|gatewayTimeout|backendError|rateLimitExceeded|Internal error\. Please try again|\b50[234]\b|SERVICE UNAVAILABLE`},
		{Class: cloud.Auth, Code: "forbidden", Pattern: `Required '[^']+' permission|permission denied|forbidden|active account selected|IAM_PERMISSION_DENIED|invalid_grant|could not find default credentials`},
		{Class: cloud.Capacity, Pattern: `ZONE_RESOURCE_POOL_EXHAUSTED(?:_WITH_DETAILS)?|no more capacity|does not have enough resources|[Ii]nsufficient reserved capacity|is currently unavailable in|was not found|[Cc]ode 8\b|RESOURCE_EXHAUSTED|insufficientCapacity|VM_MIN_COUNT_NOT_REACHED|RESOURCE_NOT_READY`},
	},
	Zone:       regexp.MustCompile(`zones?[/ '"]+([a-z]+-[a-z]+\d-[a-z])\b|in the ([a-z]+-[a-z]+\d-[a-z]) zone|in ([a-z]+-[a-z]+\d-[a-z]):`),
	AllRegions: regexp.MustCompile(`[A-Z0-9_]+_ALL_REGIONS`),
	Fix: map[cloud.ErrorClass]string{
		cloud.Auth: "check the GCP credentials (`gcloud auth application-default login`) and the project's IAM permissions",
	},
}

// ErrorTable is the classifier's table of the cloud's provisioning errors.
func (Cloud) ErrorTable() *cloud.ErrorTable { return errorTable }
