package provision

import (
	"regexp"
	"strings"
)

// Class says what the fallback loop does with a provisioning failure
// (SkyPilot's FailoverCloudErrorHandlerV2, refined by the fixtures in
// shared/provision-errors).
type Class string

const (
	// Capacity: the zone/region cannot supply the machine now → block the zone (region when region-level).
	Capacity Class = "capacity"
	// Quota: an account limit → block the region (all regions for *_ALL_REGIONS quotas).
	Quota Class = "quota"
	// Spot: spot-only capacity, price, count or quota problems → block the zone for spot.
	Spot Class = "spot"
	// Auth: credentials or permissions → stop, no failover.
	Auth Class = "auth"
	// Config: the request itself is invalid → stop, no failover.
	Config Class = "config"
	// Transient: throttling / 5xx → retry in place with backoff.
	Transient Class = "transient"
	// Unknown: nothing matched. Treated like Config (stop): an unexplained
	// Terraform error is far more often a module problem than a capacity
	// problem, and failing over would repeat it everywhere.
	Unknown Class = "unknown"
)

// FailsOver reports whether the loop moves to another placement.
func (c Class) FailsOver() bool { return c == Capacity || c == Quota || c == Spot }

type rule struct {
	class Class
	re    *regexp.Regexp
	// code extracts the cloud's error code when it is not the match itself.
	code string
}

func r(class Class, code, pattern string) rule {
	return rule{class: class, code: code, re: regexp.MustCompile(pattern)}
}

// Rules are tried in order; the first match wins. Order matters where texts
// overlap: a spot "InsufficientInstanceCapacity" is spot, an AMI "AuthFailure"
// is config, a GCP 400 that mentions "preemptible" is config.
var rulesByCloud = map[string][]rule{
	"aws": {
		r(Config, "InvalidAMIID", `InvalidAMIID|Not authorized for images|InvalidParameter(?:Value|Combination)?\b|InvalidKeyPair|InvalidSubnet|InvalidGroup\.NotFound|InvalidBlockDeviceMapping`),
		r(Auth, "", `InvalidClientTokenId|UnauthorizedOperation|AuthFailure|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId|No valid credential sources|AccessDenied`),
		r(Spot, "", `MaxSpotInstanceCountExceeded|SpotMaxPriceTooLow|capacity-oversubscribed|InsufficientSpotInstanceCapacity|[Nn]o Spot capacity|Could not launch Spot|SpotInstanceCountExceeded`),
		r(Transient, "RequestLimitExceeded", `RequestLimitExceeded|[Rr]equest limit exceeded|Throttling|ServiceUnavailable|ServerInternal|InternalError|\bUnavailable\b`),
		r(Quota, "", `VcpuLimitExceeded|InstanceLimitExceeded|AddressLimitExceeded|VpcLimitExceeded|exceeds your current limit|[Yy]our quota allows`),
		r(Capacity, "", `InsufficientInstanceCapacity|InsufficientCapacityOnHost|InsufficientHostCapacity|(Unsupported)(?::| -|\))|[Ii]nsufficient capacity|has insufficient capacity`),
	},
	"gcp": {
		r(Config, "", `Invalid value for field|badRequest|HttpError 400|accessNotConfigured|Access Not Configured|CREATION_FAILED|bad request|Requested disk size cannot be smaller`),
		r(Spot, "", `preemption\b|[Pp]reempted|Preemptible[A-Za-z]*Per`),
		r(Quota, "QUOTA_EXCEEDED", `QUOTA_EXCEEDED|quotaExceeded|Quota '[A-Z0-9_]+' exceeded|insufficient regional quota|Quota limit '[^']+' has been exceeded|QuotaFailure`),
		r(Transient, "", `transientError|gatewayTimeout|backendError|rateLimitExceeded|Internal error\. Please try again|\b50[234]\b|SERVICE UNAVAILABLE`),
		r(Auth, "forbidden", `Required '[^']+' permission|permission denied|forbidden|active account selected|IAM_PERMISSION_DENIED|invalid_grant|could not find default credentials`),
		r(Capacity, "", `ZONE_RESOURCE_POOL_EXHAUSTED(?:_WITH_DETAILS)?|no more capacity|does not have enough resources|[Ii]nsufficient reserved capacity|is currently unavailable in|was not found|[Cc]ode 8\b|RESOURCE_EXHAUSTED|insufficientCapacity|VM_MIN_COUNT_NOT_REACHED|RESOURCE_NOT_READY`),
	},
	"azure": {
		r(Auth, "", `AuthorizationFailed|SubscriptionNotFound|ClientAuthenticationError|ReadOnlyDisabledSubscription|InvalidAuthenticationToken`),
		r(Config, "", `can only be specified when|subscription ID could not be determined|InvalidParameter\b|InvalidResourceName`),
		r(Transient, "", `RetryableError|context deadline exceeded|TooManyRequests|InternalServerError|\b50[234]\b`),
		r(Spot, "", `(?i)spot|low ?priority`),
		r(Quota, "", `QuotaExceeded|exceeding approved|exceeding quota|quota limits`),
		r(Capacity, "", `SkuNotAvailable|AllocationFailed|ZonalAllocationFailed|Overconstrained(?:Zonal)?AllocationRequest|Allocation failed|not available in location`),
	},
}

// codeRe finds a cloud error code-looking token near the match (AWS style
// "Code:" or "api error Code:"), used for messages and the reasons table.
var codeRe = regexp.MustCompile(`\b([A-Z][A-Za-z]+(?:\.[A-Za-z]+)?|[A-Z][A-Z0-9_]{5,})\b`)

// Classification is the verdict on one failure.
type Classification struct {
	Class Class
	// Code is the cloud's error code when one was recognised
	// ("InsufficientInstanceCapacity", "ZONE_RESOURCE_POOL_EXHAUSTED", ...).
	Code string
	// AllRegions: the limit is project-wide (GCP *_ALL_REGIONS quotas).
	AllRegions bool
	// Zone named by the message, if any ("us-east-2a").
	Zone string
}

var (
	awsZoneRe     = regexp.MustCompile(`Availability Zone(?: you requested)? \(([a-z]{2}-[a-z]+-\d[a-z])\)`)
	gcpZoneRe     = regexp.MustCompile(`zones?[/ '"]+([a-z]+-[a-z]+\d-[a-z])\b|in the ([a-z]+-[a-z]+\d-[a-z]) zone|in ([a-z]+-[a-z]+\d-[a-z]):`)
	allRegionsRe  = regexp.MustCompile(`[A-Z0-9_]+_ALL_REGIONS`)
	whitespaceRe  = regexp.MustCompile(`\s+`)
	literalEscape = strings.NewReplacer(`\n`, "\n", `\t`, "\t")
)

// Classify decides the class of a failure text from cloud ("aws", "gcp",
// "azure"). Text is Terraform's diagnostic summary+detail (or an SDK message).
func Classify(cloud, text string) Classification {
	text = literalEscape.Replace(text)
	out := Classification{Class: Unknown}
	for _, rl := range rulesByCloud[cloud] {
		m := rl.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		out.Class = rl.class
		out.Code = rl.code
		code := m[0]
		if len(m) > 1 && m[1] != "" {
			code = m[1]
		}
		if codeRe.FindString(code) == code {
			out.Code = code
		}
		break
	}
	switch cloud {
	case "aws":
		if m := awsZoneRe.FindStringSubmatch(text); m != nil {
			out.Zone = m[1]
		}
	case "gcp":
		if m := gcpZoneRe.FindStringSubmatch(text); m != nil {
			for _, g := range m[1:] {
				if g != "" {
					out.Zone = g
					break
				}
			}
		}
		if out.Class == Quota && allRegionsRe.MatchString(text) {
			out.AllRegions = true
		}
	}
	return out
}

// oneLine shortens a cloud message for progress lines and reason tables.
func oneLine(s string, max int) string {
	s = strings.TrimSpace(whitespaceRe.ReplaceAllString(literalEscape.Replace(s), " "))
	if len(s) > max {
		s = s[:max-1] + "…"
	}
	return s
}
