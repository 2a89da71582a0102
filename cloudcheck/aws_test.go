package cloudcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

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
	res, err := Check(context.Background(), []string{"aws"}, Options{Home: home, Environ: environ})
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
	res, err := Check(context.Background(), []string{"aws"}, Options{Home: t.TempDir(), Environ: environ})
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
	_, err := Check(context.Background(), []string{"oci"}, Options{Home: t.TempDir(), Environ: []string{}, Config: config.Config{}})
	if err == nil || !strings.Contains(err.Error(), "aws, gcp, azure") {
		t.Fatalf("err = %v", err)
	}
}
