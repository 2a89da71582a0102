package azure

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/cloud"
	"github.com/zclconf/go-cty/cty"
)

var _ cloud.Credentials = Cloud{}

func (Cloud) Detect(e cloud.CredentialEnv) cloud.Detection { return detect(e) }

func (Cloud) Endpoint(e cloud.CredentialEnv) string {
	if v := e.Get("ARM_ENVIRONMENT"); v != "" {
		return v
	}
	return "default"
}

func (Cloud) AlwaysProbe() bool    { return false }
func (Cloud) AccountLabel() string { return "subscription" }

// Probe reads the client config and the subscription: reading the
// subscription proves access to it, not only a token.
func (Cloud) Probe(e cloud.CredentialEnv, d cloud.Detection) cloud.Probe {
	return cloud.Probe{Provider: "azurerm", Settings: map[string]cty.Value{"subscription_id": cty.StringVal(d.Project)}, Features: true,
		Data: []cloud.ProbeData{
			{Type: "azurerm_client_config", Outputs: []string{"client_id", "tenant_id"}},
			{Type: "azurerm_subscription", Outputs: []string{"subscription_id", "display_name"}},
		}}
}

func (Cloud) Identity(outs map[string]string, d cloud.Detection) (string, string) {
	id := "client " + outs["azurerm_client_config_client_id"] + " (tenant " + outs["azurerm_client_config_tenant_id"] + ")"
	account := outs["azurerm_subscription_subscription_id"]
	if n := outs["azurerm_subscription_display_name"]; n != "" {
		account += " (" + n + ")"
	}
	return id, account
}

func (Cloud) CredentialFix() string {
	return "Run `az login`, or set ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID (ARM_USE_MSI=true for a managed identity); set the subscription with azure.subscription_id in ~/.skyplan/config.yaml or ARM_SUBSCRIPTION_ID; then run `skyplan check azure`."
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
func detect(e cloud.CredentialEnv) cloud.Detection {
	var d cloud.Detection
	sub := e.SubscriptionID
	if sub == "" {
		sub = e.Get("ARM_SUBSCRIPTION_ID")
	}
	switch {
	case e.Get("ARM_CLIENT_ID") != "" && (e.Get("ARM_CLIENT_SECRET") != "" || e.Get("ARM_CLIENT_CERTIFICATE_PATH") != "" || e.Truthy("ARM_USE_OIDC")):
		d = cloud.Detection{Found: true, Source: "service principal " + e.Get("ARM_CLIENT_ID")}
	case e.Truthy("ARM_USE_MSI"):
		d = cloud.Detection{Found: true, Source: "managed identity (ARM_USE_MSI)"}
	case e.Get("ARM_CLIENT_ID") != "":
		return cloud.Detection{Reason: "ARM_CLIENT_ID is set but neither ARM_CLIENT_SECRET nor ARM_CLIENT_CERTIFICATE_PATH is"}
	default:
		dir := e.Get("AZURE_CONFIG_DIR")
		if dir == "" {
			dir = filepath.Join(e.Home(), ".azure")
		}
		path := filepath.Join(dir, "azureProfile.json")
		data, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) && !e.Truthy("ARM_USE_CLI") {
				return cloud.Detection{Reason: "no ARM_CLIENT_ID/ARM_CLIENT_SECRET, ARM_USE_MSI or az CLI login (" + path + ")"}
			}
			return cloud.Detection{Reason: "reading the az CLI profile: " + err.Error()}
		}
		// az writes the file with a UTF-8 byte order mark.
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		var p azureProfile
		if err := json.Unmarshal(data, &p); err != nil {
			return cloud.Detection{Reason: fmt.Sprintf("%s is not valid JSON: %v", path, err)}
		}
		if len(p.Subscriptions) == 0 {
			return cloud.Detection{Reason: "the az CLI is not logged in (" + path + " lists no subscriptions)"}
		}
		d = cloud.Detection{Found: true, Source: "az CLI login"}
		for _, s := range p.Subscriptions {
			if s.IsDefault {
				if s.User.Name != "" {
					d.Source = "az CLI login as " + s.User.Name
				}
				if sub == "" {
					sub = s.ID
				}
			}
		}
	}
	if sub == "" {
		return cloud.Detection{Reason: "credentials found (" + d.Source + ") but no subscription id is set"}
	}
	d.Project = sub
	return d
}
