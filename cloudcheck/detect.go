package cloudcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/config"
)

// env is the environment a check looks at. Checks read it instead of the
// process environment so tests (and `check` itself) decide exactly which
// credential sources are visible.
type env struct {
	vars map[string]string
	cfg  config.Config
}

func newEnv(environ []string, cfg config.Config) env {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return env{vars: m, cfg: cfg}
}

func (e env) get(k string) string { return e.vars[k] }

func (e env) truthy(k string) bool {
	switch strings.ToLower(e.vars[k]) {
	case "1", "true", "yes":
		return true
	}
	return false
}

func (e env) home() string {
	if h := e.vars["HOME"]; h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// detection is what a look at local files and variables found, before any
// cloud API is asked.
type detection struct {
	found  bool
	source string // where the credentials come from, for the DETAIL column
	reason string // why nothing usable was found
	// project (GCP) or subscription (Azure) the checks verify against.
	project string
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// detectAWS lists the credential sources of the AWS SDK's default chain
// that can be seen without network access. An EC2 instance profile cannot
// be seen this way, which is why AWS is always verified through Terraform
// when terraform is available.
func detectAWS(e env) detection {
	switch {
	case e.get("AWS_ACCESS_KEY_ID") != "" && e.get("AWS_SECRET_ACCESS_KEY") != "":
		return detection{found: true, source: "environment (AWS_ACCESS_KEY_ID)"}
	case e.get("AWS_ACCESS_KEY_ID") != "":
		return detection{reason: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"}
	case e.get("AWS_WEB_IDENTITY_TOKEN_FILE") != "" && e.get("AWS_ROLE_ARN") != "":
		return detection{found: true, source: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"}
	case e.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || e.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "":
		return detection{found: true, source: "container credentials endpoint"}
	}
	profile := e.get("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	creds := e.get("AWS_SHARED_CREDENTIALS_FILE")
	if creds == "" {
		creds = filepath.Join(e.home(), ".aws", "credentials")
	}
	conf := e.get("AWS_CONFIG_FILE")
	if conf == "" {
		conf = filepath.Join(e.home(), ".aws", "config")
	}
	for _, f := range []string{creds, conf} {
		if fileExists(f) {
			return detection{found: true, source: fmt.Sprintf("profile %q (%s)", profile, f)}
		}
	}
	return detection{reason: "no AWS credentials found in the environment or in " + creds}
}

// awsHasRegionSource reports whether the AWS SDK can find a region by
// itself; otherwise the check supplies one (the caller identity is global).
func awsHasRegionSource(e env) bool {
	if e.get("AWS_REGION") != "" || e.get("AWS_DEFAULT_REGION") != "" {
		return true
	}
	conf := e.get("AWS_CONFIG_FILE")
	if conf == "" {
		conf = filepath.Join(e.home(), ".aws", "config")
	}
	return fileExists(conf)
}

// awsEndpoint is the STS endpoint the SDK will call: the service-specific
// override, the global override, or the AWS default.
func awsEndpoint(e env) string {
	for _, k := range []string{"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"} {
		if v := e.get(k); v != "" {
			return v
		}
	}
	return "default"
}

// gcpCredentialFile is the subset of a Google credentials JSON file skyplan
// reads (service-account keys and gcloud's application default credentials).
type gcpCredentialFile struct {
	Type           string `json:"type"`
	ProjectID      string `json:"project_id"`
	QuotaProjectID string `json:"quota_project_id"`
	ClientEmail    string `json:"client_email"`
}

func readGCPCredentials(path string) (gcpCredentialFile, error) {
	var f gcpCredentialFile
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
func detectGCP(e env) detection {
	var d detection
	var cred gcpCredentialFile
	if p := e.get("GOOGLE_APPLICATION_CREDENTIALS"); p != "" {
		f, err := readGCPCredentials(p)
		if err != nil {
			return detection{reason: "GOOGLE_APPLICATION_CREDENTIALS: " + err.Error()}
		}
		cred, d = f, detection{found: true, source: p}
	} else {
		dir := e.get("CLOUDSDK_CONFIG")
		if dir == "" {
			dir = filepath.Join(e.home(), ".config", "gcloud")
		}
		adc := filepath.Join(dir, "application_default_credentials.json")
		f, err := readGCPCredentials(adc)
		if os.IsNotExist(err) {
			return detection{reason: "no GOOGLE_APPLICATION_CREDENTIALS and no " + adc}
		}
		if err != nil {
			return detection{reason: err.Error()}
		}
		cred, d = f, detection{found: true, source: adc}
	}
	if cred.ClientEmail != "" {
		d.source = cred.ClientEmail + " (" + d.source + ")"
	}
	for _, p := range []string{e.cfg.GCP.ProjectID, e.get("GOOGLE_CLOUD_PROJECT"), e.get("GOOGLE_PROJECT"),
		e.get("CLOUDSDK_CORE_PROJECT"), cred.ProjectID, cred.QuotaProjectID} {
		if p != "" {
			d.project = p
			break
		}
	}
	if d.project == "" {
		return detection{reason: "credentials found (" + d.source + ") but no GCP project is set"}
	}
	return d
}

// azureProfile is the part of az CLI's azureProfile.json skyplan reads.
type azureProfile struct {
	Subscriptions []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		IsDefault bool   `json:"isDefault"`
		User      struct {
			Name string `json:"name"`
		} `json:"user"`
	} `json:"subscriptions"`
}

// detectAzure follows the azurerm provider's authentication order: a
// service principal or OIDC from ARM_* variables, a managed identity, or the
// az CLI login. azurerm 4.x needs a subscription id in every case.
func detectAzure(e env) detection {
	var d detection
	sub := e.cfg.Azure.SubscriptionID
	if sub == "" {
		sub = e.get("ARM_SUBSCRIPTION_ID")
	}
	switch {
	case e.get("ARM_CLIENT_ID") != "" && (e.get("ARM_CLIENT_SECRET") != "" || e.get("ARM_CLIENT_CERTIFICATE_PATH") != "" || e.truthy("ARM_USE_OIDC")):
		d = detection{found: true, source: "service principal " + e.get("ARM_CLIENT_ID")}
	case e.truthy("ARM_USE_MSI"):
		d = detection{found: true, source: "managed identity (ARM_USE_MSI)"}
	case e.get("ARM_CLIENT_ID") != "":
		return detection{reason: "ARM_CLIENT_ID is set but neither ARM_CLIENT_SECRET nor ARM_CLIENT_CERTIFICATE_PATH is"}
	default:
		dir := e.get("AZURE_CONFIG_DIR")
		if dir == "" {
			dir = filepath.Join(e.home(), ".azure")
		}
		path := filepath.Join(dir, "azureProfile.json")
		data, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) && !e.truthy("ARM_USE_CLI") {
				return detection{reason: "no ARM_CLIENT_ID/ARM_CLIENT_SECRET, ARM_USE_MSI or az CLI login (" + path + ")"}
			}
			return detection{reason: "reading the az CLI profile: " + err.Error()}
		}
		// az writes the file with a UTF-8 byte order mark.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		var p azureProfile
		if err := json.Unmarshal(data, &p); err != nil {
			return detection{reason: fmt.Sprintf("%s is not valid JSON: %v", path, err)}
		}
		if len(p.Subscriptions) == 0 {
			return detection{reason: "the az CLI is not logged in (" + path + " lists no subscriptions)"}
		}
		d = detection{found: true, source: "az CLI login"}
		for _, s := range p.Subscriptions {
			if s.IsDefault {
				if s.User.Name != "" {
					d.source = "az CLI login as " + s.User.Name
				}
				if sub == "" {
					sub = s.ID
				}
			}
		}
	}
	if sub == "" {
		return detection{reason: "credentials found (" + d.source + ") but no subscription id is set"}
	}
	d.project = sub
	return d
}

// fixFor is the one-line remedy printed for a cloud that is not enabled.
func fixFor(cloud string) string {
	switch cloud {
	case "aws":
		return "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure` (or `aws sso login` for an SSO profile), or attach an instance profile; then run `skyplan check aws`."
	case "gcp":
		return "Run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, and set the project with gcp.project_id in ~/.skyplan/config.yaml or GOOGLE_CLOUD_PROJECT; then run `skyplan check gcp`."
	case "azure":
		return "Run `az login`, or set ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID (ARM_USE_MSI=true for a managed identity); set the subscription with azure.subscription_id in ~/.skyplan/config.yaml or ARM_SUBSCRIPTION_ID; then run `skyplan check azure`."
	}
	return ""
}
