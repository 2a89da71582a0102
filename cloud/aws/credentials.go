package aws

import (
	"fmt"
	"path/filepath"

	"github.com/skyplan/skyplan/cloud"
	"github.com/zclconf/go-cty/cty"
)

var _ cloud.Credentials = Cloud{}

func (Cloud) Detect(e cloud.CredentialEnv) cloud.Detection { return detect(e) }
func (Cloud) Endpoint(e cloud.CredentialEnv) string        { return endpoint(e) }

// AlwaysProbe: credentials may come from an instance profile, which no
// file shows, so AWS is asked even when nothing was detected.
func (Cloud) AlwaysProbe() bool    { return true }
func (Cloud) AccountLabel() string { return "account" }

// Probe reads aws_caller_identity; a wrong key fails in seconds, not
// after 25 retries.
func (Cloud) Probe(e cloud.CredentialEnv, d cloud.Detection) cloud.Probe {
	p := cloud.Probe{Provider: "aws", Settings: map[string]cty.Value{"max_retries": cty.NumberIntVal(1)},
		Data: []cloud.ProbeData{{Type: "aws_caller_identity", Outputs: []string{"account_id", "arn"}}}}
	if !hasRegionSource(e) {
		// The caller identity is global; the provider still insists on a region.
		p.Settings["region"] = cty.StringVal("us-east-1")
	}
	return p
}

func (Cloud) Identity(outs map[string]string, d cloud.Detection) (string, string) {
	return outs["aws_caller_identity_arn"], outs["aws_caller_identity_account_id"]
}

func (Cloud) CredentialFix() string {
	return "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure` (or `aws sso login` for an SSO profile), or attach an instance profile; then run `skyplan check aws`."
}

// detectAWS lists the credential sources of the AWS SDK's default chain
// that can be seen without network access. An EC2 instance profile cannot
// be seen this way, which is why AWS is always verified through Terraform
// when terraform is available.
func detect(e cloud.CredentialEnv) cloud.Detection {
	switch {
	case e.Get("AWS_ACCESS_KEY_ID") != "" && e.Get("AWS_SECRET_ACCESS_KEY") != "":
		return cloud.Detection{Found: true, Source: "environment (AWS_ACCESS_KEY_ID)"}
	case e.Get("AWS_ACCESS_KEY_ID") != "":
		return cloud.Detection{Reason: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"}
	case e.Get("AWS_WEB_IDENTITY_TOKEN_FILE") != "" && e.Get("AWS_ROLE_ARN") != "":
		return cloud.Detection{Found: true, Source: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"}
	case e.Get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || e.Get("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "":
		return cloud.Detection{Found: true, Source: "container credentials endpoint"}
	}
	profile := e.Get("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	creds := e.Get("AWS_SHARED_CREDENTIALS_FILE")
	if creds == "" {
		creds = filepath.Join(e.Home(), ".aws", "credentials")
	}
	conf := e.Get("AWS_CONFIG_FILE")
	if conf == "" {
		conf = filepath.Join(e.Home(), ".aws", "config")
	}
	for _, f := range []string{creds, conf} {
		if cloud.FileExists(f) {
			return cloud.Detection{Found: true, Source: fmt.Sprintf("profile %q (%s)", profile, f)}
		}
	}
	return cloud.Detection{Reason: "no AWS credentials found in the environment or in " + creds}
}

// awsHasRegionSource reports whether the AWS SDK can find a region by
// itself; otherwise the check supplies one (the caller identity is global).
func hasRegionSource(e cloud.CredentialEnv) bool {
	if e.Get("AWS_REGION") != "" || e.Get("AWS_DEFAULT_REGION") != "" {
		return true
	}
	conf := e.Get("AWS_CONFIG_FILE")
	if conf == "" {
		conf = filepath.Join(e.Home(), ".aws", "config")
	}
	return cloud.FileExists(conf)
}

// awsEndpoint is the STS endpoint the SDK will call: the service-specific
// override, the global override, or the AWS default.
func endpoint(e cloud.CredentialEnv) string {
	for _, k := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		if v := e.Get(k); v != "" {
			return v
		}
	}
	return "default"
}
