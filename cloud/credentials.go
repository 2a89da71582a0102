package cloud

import (
	"os"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// Credentials is a cloud whose credentials `skyplan check` can find and
// verify: detection looks at variables and files only (no network), and
// the probe is a tiny Terraform root that asks the cloud "who am I"
// through its own provider, so the credentials are verified by the same
// code that will use them.
type Credentials interface {
	Detect(e CredentialEnv) Detection
	// Endpoint is the API endpoint the provider will call ("default").
	Endpoint(e CredentialEnv) string
	Probe(e CredentialEnv, d Detection) Probe
	// Identity reads who the credentials belong to, and the account, from
	// the probe's outputs.
	Identity(outputs map[string]string, d Detection) (identity, account string)
	// CredentialFix is the one-line remedy for a cloud that is not enabled.
	CredentialFix() string
	// AccountLabel names the account in the DETAIL column ("account",
	// "project", "subscription").
	AccountLabel() string
	// AlwaysProbe: ask the cloud even when nothing was detected (AWS
	// instance profiles are invisible locally).
	AlwaysProbe() bool
}

// CredentialEnv is the environment a credential check looks at: checks
// read it instead of the process environment, so tests (and `check`
// itself) decide exactly which credential sources are visible.
type CredentialEnv struct {
	Vars map[string]string
	// ProjectID and SubscriptionID are the account ids set in skyplan's
	// config section of the cloud (gcp.project_id, azure.subscription_id).
	ProjectID, SubscriptionID string
}

// NewCredentialEnv reads KEY=VALUE pairs.
func NewCredentialEnv(environ []string) CredentialEnv {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return CredentialEnv{Vars: m}
}

func (e CredentialEnv) Get(k string) string { return e.Vars[k] }

func (e CredentialEnv) Truthy(k string) bool {
	switch strings.ToLower(e.Vars[k]) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// Home is $HOME of the environment (the process's home when unset).
func (e CredentialEnv) Home() string {
	if h := e.Vars["HOME"]; h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// Detection is what a look at local files and variables found, before any
// cloud API is asked.
type Detection struct {
	Found  bool
	Source string // where the credentials come from, for the DETAIL column
	Reason string // why nothing usable was found
	// Project (GCP) or subscription (Azure) the checks verify against.
	Project string
}

// Probe is the root module that asks a cloud "who am I": one provider,
// identity data sources, their attributes as outputs. Applying it creates
// nothing; the state it leaves holds identifiers only, no secrets.
type Probe struct {
	Provider string               // local name and type, e.g. "google"
	Settings map[string]cty.Value // provider arguments
	Features bool                 // azurerm needs an empty features block
	Data     []ProbeData
}

// ProbeData is one data source of a probe.
type ProbeData struct {
	Type    string
	Outputs []string // attribute names, exported as outputs "<type>_<attr>"
}

// FileExists reports whether path is a regular file.
func FileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
