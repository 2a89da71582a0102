package cloudcheck_test

// These tests run real probes through Terraform, so they use cluster's
// prober; cluster imports cloudcheck, hence the external test package.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cloudcheck"
	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/provision/provisiontest"
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

// baseEnviron is a minimal environment: PATH (to find terraform), a fresh
// HOME, a missing TF_CLI_CONFIG_FILE (as on this machine) and a shared
// plugin cache so each test does not unpack the AWS provider again.
func baseEnviron(t *testing.T) []string {
	t.Helper()
	cache := filepath.Join(os.TempDir(), "skyplan-cloudcheck-plugin-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"TF_CLI_CONFIG_FILE=" + filepath.Join(home, "missing.tfrc"),
		"TF_PLUGIN_CACHE_DIR=" + cache,
	}
}

func TestCheckAWSAgainstMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform + moto test skipped in -short mode")
	}
	moto := provisiontest.StartMoto(t)
	environ := append(baseEnviron(t),
		"AWS_ENDPOINT_URL="+moto.URL,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_DEFAULT_REGION=us-east-1",
	)
	home := t.TempDir()
	res, err := cloudcheck.Check(context.Background(), []string{"aws"}, cloudcheck.Options{Home: home, Environ: environ, Prober: cluster.CredentialProbe})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1", len(res))
	}
	r := res[0]
	if !r.Enabled || !r.Verified {
		t.Fatalf("aws not enabled and verified: %+v", r)
	}
	if r.Account != "123456789012" {
		t.Errorf("account = %q, want moto's 123456789012", r.Account)
	}
	if !strings.HasPrefix(r.Identity, "arn:aws:") || !strings.Contains(r.Identity, "123456789012") {
		t.Errorf("identity = %q, want an ARN in account 123456789012", r.Identity)
	}
	if r.Endpoint != moto.URL {
		t.Errorf("endpoint = %q, want %q", r.Endpoint, moto.URL)
	}
	// The probe's state keeps identifiers only, never the key.
	st, err := os.ReadFile(filepath.Join(home, "check", "aws", "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(st), "testing") {
		t.Errorf("probe state contains the credentials:\n%s", st)
	}
}

func TestCheckAWSWithoutCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform test skipped in -short mode")
	}
	// No keys, no shared files, no instance metadata: the provider must
	// refuse, and the result must say why and how to fix it.
	environ := append(baseEnviron(t), "AWS_EC2_METADATA_DISABLED=true")
	res, err := cloudcheck.Check(context.Background(), []string{"aws"}, cloudcheck.Options{Home: t.TempDir(), Environ: environ, Prober: cluster.CredentialProbe})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Enabled || r.Verified {
		t.Fatalf("aws enabled without credentials: %+v", r)
	}
	if !strings.Contains(r.Reason, "no AWS credentials found") || !strings.Contains(strings.ToLower(r.Reason), "credential") {
		t.Errorf("reason does not explain: %q", r.Reason)
	}
	if !strings.Contains(r.Fix, "aws configure") {
		t.Errorf("fix = %q", r.Fix)
	}
}

func TestCheckUnknownCloud(t *testing.T) {
	_, err := cloudcheck.Check(context.Background(), []string{"oci"}, cloudcheck.Options{Home: t.TempDir(), Environ: []string{}, Config: config.Config{}})
	if err == nil || !strings.Contains(err.Error(), "aws, gcp, azure") {
		t.Fatalf("err = %v", err)
	}
}

// GCP and Azure have no provider in this machine's mirror: detected
// credentials enable the cloud, marked not verified, and nothing is run.
func TestCheckUnverifiedWithoutProvider(t *testing.T) {
	home := t.TempDir()
	environ := append(baseEnviron(t), "SKYPLAN_TF_PLUGIN_MIRROR="+filepath.Join(home, "no-mirror"),
		"ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=secret", "ARM_SUBSCRIPTION_ID=sub1")
	res, err := cloudcheck.Check(context.Background(), []string{"gcp", "azure"}, cloudcheck.Options{Home: home, Environ: environ, Prober: cluster.CredentialProbe})
	if err != nil {
		t.Fatal(err)
	}
	gcp, az := res[0], res[1]
	if gcp.Enabled || gcp.Fix == "" {
		t.Errorf("gcp without credentials: %+v", gcp)
	}
	if !az.Enabled || az.Verified || !strings.Contains(az.Reason, "not verified (provider hashicorp/azurerm not installed)") || az.Account != "sub1" {
		t.Errorf("azure: %+v", az)
	}
	if strings.Contains(fmt.Sprintf("%+v", az), "secret") {
		t.Errorf("result leaks the client secret: %+v", az)
	}
	if _, err := os.Stat(filepath.Join(home, "check", "azure")); !os.IsNotExist(err) {
		t.Errorf("a probe directory was created for an uninstalled provider (err=%v)", err)
	}
}

// When a mirror holds the provider, GCP is verified through Terraform, and
// a failure to install it (here: a fake, empty provider directory) leaves
// the detected credentials unverified rather than disabled.
func TestCheckInitFailureIsUnverified(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform test skipped in -short mode")
	}
	home := t.TempDir()
	mirror := filepath.Join(home, "mirror")
	if err := os.MkdirAll(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "google", "6.50.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	sa := writeFile(t, filepath.Join(home, "sa.json"), `{"type":"service_account","project_id":"p1","client_email":"bot@p1.iam.gserviceaccount.com"}`)
	environ := append(baseEnviron(t), "SKYPLAN_TF_PLUGIN_MIRROR="+mirror, "GOOGLE_APPLICATION_CREDENTIALS="+sa)
	res, err := cloudcheck.Check(context.Background(), []string{"gcp"}, cloudcheck.Options{Home: home, Environ: environ, Timeout: time.Minute, Prober: cluster.CredentialProbe})
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if !r.Enabled || r.Verified || !strings.Contains(r.Reason, "could not be installed") {
		t.Fatalf("gcp: %+v", r)
	}
	main, err := os.ReadFile(filepath.Join(home, "check", "gcp", "main.tf"))
	if err != nil || !strings.Contains(string(main), `project = "p1"`) || !strings.Contains(string(main), "google_client_openid_userinfo") {
		t.Errorf("probe root (err=%v):\n%s", err, main)
	}
}
