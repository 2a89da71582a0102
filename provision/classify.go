package provision

import (
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

// Class says what the fallback loop does with a provisioning failure
// (cloud.ErrorClass: SkyPilot's FailoverCloudErrorHandlerV2, refined by
// the fixtures in shared/provision-errors).
type Class = cloud.ErrorClass

// The classes; see cloud.ErrorClass for what the loop does with each.
const (
	Capacity  = cloud.Capacity
	Quota     = cloud.Quota
	Spot      = cloud.Spot
	Auth      = cloud.Auth
	Config    = cloud.Config
	Transient = cloud.Transient
	Unknown   = cloud.Unknown
)

// Rule is one error family of one cloud (cloud.ErrorRule); each cloud
// owns its table of them in its package (cloud/aws/errors.go, …) behind
// the cloud.ErrorRules capability.
type Rule = cloud.ErrorRule

// CloudErrors is everything the classifier knows about one cloud's errors.
type CloudErrors = cloud.ErrorTable

// errorsOf is the error table of the cloud called name (nil: none).
func errorsOf(name string) *CloudErrors {
	if er, ok := cloud.As[cloud.ErrorRules](name); ok {
		return er.ErrorTable()
	}
	return nil
}

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
	// LaunchCall: an Unknown error came from the zone-level launch call,
	// so the loop may try the next zone of the region once.
	LaunchCall bool
	// Fix says what the user should do when the loop stops on this error.
	Fix string
}

var (
	// codeRe is a code-looking token: "InsufficientInstanceCapacity",
	// "InvalidAMIID.NotFound", "QUOTA_EXCEEDED", or a spot request status
	// code such as "capacity-not-available".
	codeRe        = regexp.MustCompile(`^(?:[A-Z][A-Za-z]+(?:\.[A-Za-z]+)?|[A-Z][A-Z0-9_]{5,}|[a-z]+(?:-[a-z]+)+)$`)
	whitespaceRe  = regexp.MustCompile(`\s+`)
	literalEscape = strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\r`, "")
	// A line broken inside a YAML/JSON-quoted string ("quota\<newline>   \ to").
	continuationRe = regexp.MustCompile(`\\[ \t]*\n[ \t]*\\`)
	escapedQuoteRe = regexp.MustCompile(`\\+"`)
	boxRe          = regexp.MustCompile(`(?m)^[ \t]*[│╷╵][ \t]?`)
)

// normalise turns the forms a message is printed in (literal "\n" from
// logs, Terraform's "│ " box, JSON-escaped quotes, YAML line
// continuations, wrapped lines) into one line with single spaces.
func normalise(text string) string {
	text = literalEscape.Replace(text)
	text = boxRe.ReplaceAllString(text, "")
	text = continuationRe.ReplaceAllString(text, "")
	text = escapedQuoteRe.ReplaceAllString(text, `"`)
	return strings.TrimSpace(whitespaceRe.ReplaceAllString(text, " "))
}

// Classify decides the class of a failure text from the cloud called
// cloudName (its cloud.ErrorRules table). Text is Terraform's diagnostic
// summary+detail (or an SDK message).
func Classify(cloudName, text string) Classification {
	text = normalise(text)
	out := Classification{Class: Unknown}
	ce := errorsOf(cloudName)
	if ce == nil {
		return out
	}
	res := ce.Compiled()
	for i, rl := range ce.Rules {
		ms := res[i].FindAllStringSubmatch(text, 8)
		if ms == nil {
			continue
		}
		out.Class, out.Code, out.Fix = rl.Class, rl.Code, rl.Fix
		// The first code-like match names the error ("Could not launch
		// Spot Instances. UnfulfillableCapacity - …" → UnfulfillableCapacity).
		for _, m := range ms {
			code := m[0]
			if len(m) > 1 && m[1] != "" {
				code = m[1]
			}
			if codeRe.MatchString(code) {
				out.Code = code
				break
			}
		}
		break
	}
	if out.Class == Unknown && cloud.TransportErrors.MatchString(text) {
		out.Class = Transient
	}
	if out.Class == Unknown {
		if ce.CodeOf != nil {
			if m := ce.CodeOf.FindStringSubmatch(text); m != nil {
				out.Code = firstGroup(m)
			}
		}
		out.LaunchCall = ce.LaunchCall != nil && ce.LaunchCall.MatchString(text)
	}
	if ce.Zone != nil {
		if m := ce.Zone.FindStringSubmatch(text); m != nil {
			out.Zone = firstGroup(m)
		}
	}
	if out.Class == Quota && ce.AllRegions != nil && ce.AllRegions.MatchString(text) {
		out.AllRegions = true
	}
	if out.Fix == "" {
		out.Fix = fixFor(out.Class, cloudName)
	}
	return out
}

func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return ""
}

// fixFor says what to do about a failure that stops the loop.
func fixFor(c Class, cloudName string) string {
	if ce := errorsOf(cloudName); ce != nil && ce.Fix[c] != "" {
		return ce.Fix[c]
	}
	switch c {
	case Auth:
		return "check the cloud credentials and permissions"
	case Config:
		return "the request itself is invalid (image, instance options, API not enabled, or a state lock): fix the task or the config and apply again; failing over would repeat the error"
	}
	return "skyplan could not classify this error, so it did not fail over: read the Terraform error above, fix the cause and apply again"
}

// wrapperRe matches the layers tools put in front of a cloud's own message:
// Terraform's "Error:", resource addresses, provider summaries ("creating
// EC2 Instance:"), AWS SDK v2 operation/retry/HTTP layers, azurerm's
// "unexpected status 409 (409 Conflict) with error:".
var wrapperRe = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`Error:`,
	`(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*[a-z0-9_]+\.[\w-]+(?:\[[^\]]*\])?:`,
	`\* (?:module\.[\w-]+\.)*[a-z0-9_]+\.[\w-]+(?:\[[^\]]*\])?:`,
	`(?:[Ee]rror )?(?:creating|launching|requesting|waiting for|performing|reading|updating|deleting) [^:]{1,80}?:`,
	`operation error [\w ]+: \w+,`,
	`exceeded maximum number of attempts, \d+,`,
	`https? response error StatusCode: \d+,`,
	`RequestID: [\w-]+,`,
	`api error`,
	`unexpected status \d+(?: \([^)]*\))? with error:`,
}, "|") + `)\s*`)

// sdkV1TailRe is AWS SDK v1's trailer ("status code: 400, request id: …").
var sdkV1TailRe = regexp.MustCompile(`\s*status code: \d+, request id: [\w-]+\s*$`)

// CloudMessage is the cloud's own message inside a wrapped error text:
// "creating EC2 Instance: operation error EC2: RunInstances, exceeded
// maximum number of attempts, 2, https response error StatusCode: 500,
// RequestID: …, api error InternalError: We encountered …" becomes
// "InternalError: We encountered …", so a reasons table shows the cause.
func CloudMessage(text string) string {
	s := normalise(text)
	for i := 0; i < 12; i++ {
		loc := wrapperRe.FindStringIndex(s)
		if loc == nil || loc[1] == len(s) {
			break
		}
		s = s[loc[1]:]
	}
	if m := sdkV1TailRe.ReplaceAllString(s, ""); m != "" {
		return m
	}
	return s // nothing but wrappers: the whole text beats an empty reason
}

// oneLine shortens a cloud message for progress lines and reason tables.
func oneLine(s string, max int) string {
	s = normalise(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
