package cloud

import (
	"regexp"
	"sync"
)

// ErrorClass says what the fallback loop does with a provisioning failure
// (SkyPilot's FailoverCloudErrorHandlerV2, refined by the fixtures in
// shared/provision-errors). provision.Class is this type.
type ErrorClass string

const (
	// Capacity: the zone/region cannot supply the machine now → block the zone (region when region-level).
	Capacity ErrorClass = "capacity"
	// Quota: an account limit → block the region (all regions for *_ALL_REGIONS quotas).
	Quota ErrorClass = "quota"
	// Spot: spot-only capacity, price, count or quota problems → block the zone for spot.
	Spot ErrorClass = "spot"
	// Auth: credentials or permissions → stop, no failover.
	Auth ErrorClass = "auth"
	// Config: the request itself is invalid → stop, no failover.
	Config ErrorClass = "config"
	// Transient: throttling / 5xx → retry in place with backoff.
	Transient ErrorClass = "transient"
	// Unknown: nothing matched. Treated like Config (stop): an unexplained
	// Terraform error is far more often a module problem than a capacity
	// problem, and failing over would repeat it everywhere. The one
	// exception is provision.Classification.LaunchCall.
	Unknown ErrorClass = "unknown"
)

// TransportErrors are failures of the connection to a cloud's API, not the
// cloud's answer: a reply cut off on its way (the Go SDKs' "decomposing
// response: read tcp …: use of closed network connection") or a reset. They
// read the same from every provider, so the classifier applies them to every
// cloud whose own rules matched nothing, as Transient (retry in place).
var TransportErrors = regexp.MustCompile(`use of closed network connection|connection reset by peer`)

// FailsOver reports whether the loop moves to another placement.
func (c ErrorClass) FailsOver() bool { return c == Capacity || c == Quota || c == Spot }

// ErrorRule is one error family of one cloud: the codes and stable phrases
// it is printed with, in any wrapper (Terraform's "Error: creating …:"
// prefix, SDK messages, bare spot-request status codes). Patterns are
// matched against normalised text (provision's normalise): one space
// between words, no escaped quotes, no Terraform box prefix.
type ErrorRule struct {
	Class ErrorClass
	// Code is reported when the match itself is not a code-like token.
	Code string
	// Pattern: codes and phrases of the family (Go regexp).
	Pattern string
	// Fix, when set, replaces the cloud's fix for the class (what to do).
	Fix string
}

// ErrorTable is everything the classifier knows about one cloud's errors:
// data, so that each cloud owns its table in its own package.
type ErrorTable struct {
	// Rules are tried in order; the first match wins. Order matters where
	// texts overlap (a spot "InsufficientInstanceCapacity" is spot, an AMI
	// "AuthFailure" is config, a GCP 400 that mentions "preemptible" is config).
	Rules []ErrorRule
	// Zone finds the zone a message names; the first non-empty group wins.
	Zone *regexp.Regexp
	// AllRegions marks a quota as project-wide (blocks every region).
	AllRegions *regexp.Regexp
	// LaunchCall matches text from the zone-level launch request
	// (RunInstances, CreateFleet). An unrecognised error from it fails over
	// to the next zone once per region (SkyPilot's AWS handler blocks the
	// zone for every error but expired credentials; skyplan stops on the
	// second, because a module at fault would fail everywhere). Nil: never.
	LaunchCall *regexp.Regexp
	// CodeOf extracts the cloud's error code from text no rule matched
	// (the first non-empty group).
	CodeOf *regexp.Regexp
	// Fix says what to do about each class that stops the loop.
	Fix map[ErrorClass]string

	once     sync.Once
	compiled []*regexp.Regexp
}

// Compiled returns the rules' patterns compiled, in rule order (once; a
// bad pattern panics on first use, which the cloud's tests catch).
func (t *ErrorTable) Compiled() []*regexp.Regexp {
	t.once.Do(func() {
		for _, r := range t.Rules {
			t.compiled = append(t.compiled, regexp.MustCompile(r.Pattern))
		}
	})
	return t.compiled
}

// ErrorRules is a cloud whose provisioning errors the classifier knows.
type ErrorRules interface {
	ErrorTable() *ErrorTable
}
