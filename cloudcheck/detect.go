package cloudcheck

import (
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/config"
)

// env is the environment a check looks at (cloud.CredentialEnv) plus
// skyplan's config, whose per-cloud sections supply the account ids.
type env struct {
	cloud.CredentialEnv
	cfg config.Config
}

func newEnv(environ []string, cfg config.Config) env {
	return env{CredentialEnv: cloud.NewCredentialEnv(environ), cfg: cfg}
}

func (e env) get(k string) string { return e.Get(k) }

// forCloud is the credential environment of one cloud: its config
// section's project and subscription ids.
func (e env) forCloud(name string) cloud.CredentialEnv {
	ce := e.CredentialEnv
	cc := e.cfg.Cloud(name)
	ce.ProjectID, ce.SubscriptionID = cc.ProjectID, cc.SubscriptionID
	return ce
}

// detection is what a look at local files and variables found, before any
// cloud API is asked (cloud.Detection, in check's own terms).
type detection struct {
	found  bool
	source string // where the credentials come from, for the DETAIL column
	reason string // why nothing usable was found
	// project (GCP) or subscription (Azure) the checks verify against.
	project string
}

func fromCloud(d cloud.Detection) detection {
	return detection{found: d.Found, source: d.Source, reason: d.Reason, project: d.Project}
}

func (d detection) toCloud() cloud.Detection {
	return cloud.Detection{Found: d.found, Source: d.source, Reason: d.reason, Project: d.project}
}

// credentials is the cloud.Credentials capability of the cloud called name.
func credentials(name string) (cloud.Credentials, bool) { return cloud.As[cloud.Credentials](name) }

// detect runs the cloud's credential detection (files and variables only).
func detect(name string, e env) detection {
	c, ok := credentials(name)
	if !ok {
		return detection{reason: "skyplan cannot check " + cloud.DisplayName(name) + " credentials"}
	}
	return fromCloud(c.Detect(e.forCloud(name)))
}

// endpoint is the API endpoint the cloud's provider will call.
func endpoint(name string, e env) string {
	if c, ok := credentials(name); ok {
		return c.Endpoint(e.forCloud(name))
	}
	return "default"
}

// fixFor is the one-line remedy printed for a cloud that is not enabled.
func fixFor(name string) string {
	if c, ok := credentials(name); ok {
		return c.CredentialFix()
	}
	return ""
}
