package cloudcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/config"
)

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDetectGCP(t *testing.T) {
	home := t.TempDir()
	sa := writeFile(t, filepath.Join(home, "sa.json"), `{"type":"service_account","project_id":"key-proj","client_email":"bot@key-proj.iam.gserviceaccount.com"}`)
	adcHome := t.TempDir()
	writeFile(t, filepath.Join(adcHome, ".config", "gcloud", "application_default_credentials.json"), `{"type":"authorized_user","client_id":"x"}`)
	notJSON := writeFile(t, filepath.Join(home, "bad.json"), `not json`)

	cases := []struct {
		name        string
		environ     []string
		cfg         config.Config
		found       bool
		project     string
		sourceOrWhy string
	}{
		{"nothing", []string{"HOME=" + home}, config.Config{}, false, "", "no GOOGLE_APPLICATION_CREDENTIALS"},
		{"key file, project from key", []string{"HOME=" + home, "GOOGLE_APPLICATION_CREDENTIALS=" + sa}, config.Config{}, true, "key-proj", "bot@key-proj"},
		{"config project wins", []string{"HOME=" + home, "GOOGLE_APPLICATION_CREDENTIALS=" + sa, "GOOGLE_CLOUD_PROJECT=env-proj"},
			config.Config{GCP: config.Cloud{ProjectID: "cfg-proj"}}, true, "cfg-proj", "sa.json"},
		{"env project", []string{"HOME=" + home, "GOOGLE_APPLICATION_CREDENTIALS=" + sa, "GOOGLE_CLOUD_PROJECT=env-proj"}, config.Config{}, true, "env-proj", "sa.json"},
		{"missing key file", []string{"HOME=" + home, "GOOGLE_APPLICATION_CREDENTIALS=" + filepath.Join(home, "nope.json")}, config.Config{}, false, "", "nope.json"},
		{"key file not JSON", []string{"HOME=" + home, "GOOGLE_APPLICATION_CREDENTIALS=" + notJSON}, config.Config{}, false, "", "not a Google credentials JSON file"},
		{"gcloud ADC without project", []string{"HOME=" + adcHome}, config.Config{}, false, "", "no GCP project"},
		{"gcloud ADC with project", []string{"HOME=" + adcHome, "GOOGLE_CLOUD_PROJECT=p1"}, config.Config{}, true, "p1", "application_default_credentials.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := detectGCP(newEnv(c.environ, c.cfg))
			if d.found != c.found || d.project != c.project {
				t.Fatalf("got %+v, want found=%v project=%q", d, c.found, c.project)
			}
			got := d.reason
			if d.found {
				got = d.source
			}
			if !strings.Contains(got, c.sourceOrWhy) {
				t.Errorf("source/reason %q does not mention %q", got, c.sourceOrWhy)
			}
		})
	}
}

func TestDetectAzure(t *testing.T) {
	home := t.TempDir()
	cliHome := t.TempDir()
	// az writes azureProfile.json with a byte order mark.
	writeFile(t, filepath.Join(cliHome, ".azure", "azureProfile.json"), "\xef\xbb\xbf"+`{"subscriptions":[
	  {"id":"sub-other","isDefault":false,"user":{"name":"a@b.c"}},
	  {"id":"sub-default","isDefault":true,"user":{"name":"me@example.com"}}]}`)
	emptyHome := t.TempDir()
	writeFile(t, filepath.Join(emptyHome, ".azure", "azureProfile.json"), `{"subscriptions":[]}`)

	cases := []struct {
		name        string
		environ     []string
		cfg         config.Config
		found       bool
		sub         string
		sourceOrWhy string
	}{
		{"nothing", []string{"HOME=" + home}, config.Config{}, false, "", "az CLI login"},
		{"service principal", []string{"HOME=" + home, "ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=s", "ARM_SUBSCRIPTION_ID=sub1"}, config.Config{}, true, "sub1", "service principal cid"},
		{"principal without secret", []string{"HOME=" + home, "ARM_CLIENT_ID=cid", "ARM_SUBSCRIPTION_ID=sub1"}, config.Config{}, false, "", "ARM_CLIENT_SECRET"},
		{"principal without subscription", []string{"HOME=" + home, "ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=s"}, config.Config{}, false, "", "no subscription id"},
		{"config subscription", []string{"HOME=" + home, "ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=s"},
			config.Config{Azure: config.Cloud{SubscriptionID: "cfg-sub"}}, true, "cfg-sub", "service principal"},
		{"managed identity", []string{"HOME=" + home, "ARM_USE_MSI=true", "ARM_SUBSCRIPTION_ID=sub2"}, config.Config{}, true, "sub2", "managed identity"},
		{"az login default subscription", []string{"HOME=" + cliHome}, config.Config{}, true, "sub-default", "me@example.com"},
		{"az login, env subscription", []string{"HOME=" + cliHome, "ARM_SUBSCRIPTION_ID=sub3"}, config.Config{}, true, "sub3", "az CLI login"},
		{"az logged out", []string{"HOME=" + emptyHome}, config.Config{}, false, "", "not logged in"},
		{"ARM_USE_CLI without profile", []string{"HOME=" + home, "ARM_USE_CLI=true"}, config.Config{}, false, "", "az CLI profile"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := detectAzure(newEnv(c.environ, c.cfg))
			if d.found != c.found || d.project != c.sub {
				t.Fatalf("got %+v, want found=%v subscription=%q", d, c.found, c.sub)
			}
			got := d.reason
			if d.found {
				got = d.source
			}
			if !strings.Contains(got, c.sourceOrWhy) {
				t.Errorf("source/reason %q does not mention %q", got, c.sourceOrWhy)
			}
		})
	}
}

func TestDetectAWS(t *testing.T) {
	home := t.TempDir()
	profHome := t.TempDir()
	writeFile(t, filepath.Join(profHome, ".aws", "credentials"), "[default]\naws_access_key_id = x\n")
	cases := []struct {
		name    string
		environ []string
		found   bool
		want    string
	}{
		{"nothing", []string{"HOME=" + home}, false, "no AWS credentials found"},
		{"keys", []string{"HOME=" + home, "AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"}, true, "environment"},
		{"half a key", []string{"HOME=" + home, "AWS_ACCESS_KEY_ID=a"}, false, "AWS_SECRET_ACCESS_KEY is not"},
		{"shared file", []string{"HOME=" + profHome, "AWS_PROFILE=dev"}, true, `profile "dev"`},
		{"web identity", []string{"HOME=" + home, "AWS_WEB_IDENTITY_TOKEN_FILE=/t", "AWS_ROLE_ARN=arn"}, true, "web identity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := detectAWS(newEnv(c.environ, config.Config{}))
			got := d.reason
			if d.found {
				got = d.source
			}
			if d.found != c.found || !strings.Contains(got, c.want) {
				t.Fatalf("got %+v, want found=%v mentioning %q", d, c.found, c.want)
			}
		})
	}
	if got := awsEndpoint(newEnv([]string{"AWS_ENDPOINT_URL=http://a", "AWS_ENDPOINT_URL_STS=http://sts"}, config.Config{})); got != "http://sts" {
		t.Errorf("endpoint = %q, want the STS-specific override", got)
	}
	if got := awsEndpoint(newEnv(nil, config.Config{})); got != "default" {
		t.Errorf("endpoint = %q, want default", got)
	}
}

func TestShortError(t *testing.T) {
	err := &fakeProviderError{summary: "No valid credential sources found",
		detail: "Please see https://registry.terraform.io/providers/hashicorp/aws\nfor more information about providing credentials.\n\nError: failed to refresh cached credentials,\nno EC2 IMDS role found"}
	want := "No valid credential sources found: Error: failed to refresh cached credentials, no EC2 IMDS role found"
	if got := shortError(&InitError{Err: fmt.Errorf("init: %w", err)}); got != want {
		t.Errorf("shortError = %q\nwant %q", got, want)
	}
}
