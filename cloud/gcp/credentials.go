package gcp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/cloud"
	"github.com/zclconf/go-cty/cty"
)

var _ cloud.Credentials = Cloud{}

func (Cloud) Detect(e cloud.CredentialEnv) cloud.Detection { return detect(e) }
func (Cloud) Endpoint(cloud.CredentialEnv) string          { return "default" }
func (Cloud) AlwaysProbe() bool                            { return false }
func (Cloud) AccountLabel() string                         { return "project" }

// Probe reads the token's e-mail (google_client_openid_userinfo) in the project.
func (Cloud) Probe(e cloud.CredentialEnv, d cloud.Detection) cloud.Probe {
	return cloud.Probe{Provider: "google", Settings: map[string]cty.Value{"project": cty.StringVal(d.Project)},
		Data: []cloud.ProbeData{{Type: "google_client_openid_userinfo", Outputs: []string{"email"}}}}
}

func (Cloud) Identity(outs map[string]string, d cloud.Detection) (string, string) {
	return outs["google_client_openid_userinfo_email"], d.Project
}

func (Cloud) CredentialFix() string {
	return "Run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, and set the project with gcp.project_id in ~/.skyplan/config.yaml or GOOGLE_CLOUD_PROJECT; then run `skyplan check gcp`."
}

// credentialFile is the subset of a Google credentials JSON file skyplan
// reads (service-account keys and gcloud's application default credentials).
type credentialFile struct {
	Type           string `json:"type"`
	ProjectID      string `json:"project_id"`
	QuotaProjectID string `json:"quota_project_id"`
	ClientEmail    string `json:"client_email"`
}

func readCredentials(path string) (credentialFile, error) {
	var f credentialFile
	data, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%s is not a Google credentials JSON file: %v", path, err)
	}
	if f.Type == "" {
		return f, fmt.Errorf("%s has no \"type\" field; it is not a Google credentials file", path)
	}
	return f, nil
}

// detectGCP follows Application Default Credentials: the key file named by
// GOOGLE_APPLICATION_CREDENTIALS, else gcloud's ADC file. A project is also
// required because every skyplan GCP module is created in one.
func detect(e cloud.CredentialEnv) cloud.Detection {
	var d cloud.Detection
	var cred credentialFile
	if p := e.Get("GOOGLE_APPLICATION_CREDENTIALS"); p != "" {
		f, err := readCredentials(p)
		if err != nil {
			return cloud.Detection{Reason: "GOOGLE_APPLICATION_CREDENTIALS: " + err.Error()}
		}
		cred, d = f, cloud.Detection{Found: true, Source: p}
	} else {
		dir := e.Get("CLOUDSDK_CONFIG")
		if dir == "" {
			dir = filepath.Join(e.Home(), ".config", "gcloud")
		}
		adc := filepath.Join(dir, "application_default_credentials.json")
		f, err := readCredentials(adc)
		if os.IsNotExist(err) {
			return cloud.Detection{Reason: "no GOOGLE_APPLICATION_CREDENTIALS and no " + adc}
		}
		if err != nil {
			return cloud.Detection{Reason: err.Error()}
		}
		cred, d = f, cloud.Detection{Found: true, Source: adc}
	}
	if cred.ClientEmail != "" {
		d.Source = cred.ClientEmail + " (" + d.Source + ")"
	}
	for _, p := range []string{e.ProjectID, e.Get("GOOGLE_CLOUD_PROJECT"), e.Get("GOOGLE_PROJECT"),
		e.Get("CLOUDSDK_CORE_PROJECT"), cred.ProjectID, cred.QuotaProjectID} {
		if p != "" {
			d.Project = p
			break
		}
	}
	if d.Project == "" {
		return cloud.Detection{Reason: "credentials found (" + d.Source + ") but no GCP project is set"}
	}
	return d
}
