package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/cloudcheck"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/task"
)

// checkEnv gives skyplan a fresh HOME and $SKYPLAN_HOME with no cloud
// credentials visible, as on a new machine.
func checkEnv(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	cache := filepath.Join(os.TempDir(), "skyplan-cloudcheck-plugin-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"HOME": home, "SKYPLAN_HOME": filepath.Join(home, ".skyplan"),
		"TF_CLI_CONFIG_FILE": filepath.Join(home, "missing.tfrc"), "TF_PLUGIN_CACHE_DIR": cache,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION",
		"GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG",
		"ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_USE_MSI", "ARM_USE_CLI", "ARM_SUBSCRIPTION_ID", "AZURE_CONFIG_DIR"} {
		t.Setenv(k, "")
	}
	return home
}

func runCheckCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(&IO{In: strings.NewReader(""), Out: &out, Err: &errb}, append([]string{"skyplan"}, args...))
	return code, out.String(), errb.String()
}

func TestCheckCommandMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform + moto test skipped in -short mode")
	}
	checkEnv(t)
	moto := provisiontest.StartMoto(t)
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": moto.URL, "AWS_ACCESS_KEY_ID": "testing",
		"AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}

	code, out, errOut := runCheckCLI(t, "check", "aws", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var doc struct {
		Clouds []struct {
			Cloud    string `json:"cloud"`
			Enabled  bool   `json:"enabled"`
			Verified bool   `json:"verified"`
			Identity string `json:"identity"`
			Endpoint string `json:"endpoint"`
			Reason   string `json:"reason"`
		} `json:"clouds"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if len(doc.Clouds) != 1 || doc.Clouds[0].Cloud != "aws" || !doc.Clouds[0].Enabled || !doc.Clouds[0].Verified ||
		!strings.Contains(doc.Clouds[0].Identity, "123456789012") || doc.Clouds[0].Endpoint != moto.URL {
		t.Fatalf("json: %+v", doc)
	}
	if clouds, known := cloudcheck.EnabledClouds(); !known || strings.Join(clouds, ",") != "aws" {
		t.Fatalf("cache after check aws: %v %v", clouds, known)
	}

	// All clouds, as a table: AWS enabled, the others say why not; exit 0.
	code, out, errOut = runCheckCLI(t, "check")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "CLOUD") || !strings.Contains(lines[0], "DETAIL") {
		t.Fatalf("table:\n%s", out)
	}
	for i, want := range [][]string{{"AWS", "yes", "123456789012", moto.URL}, {"GCP", "no", "GOOGLE_APPLICATION_CREDENTIALS"}, {"AZURE", "no", "az CLI login"}} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %q lacks %q", lines[i+1], w)
			}
		}
	}
	if !strings.Contains(errOut, "gcloud auth application-default login") || !strings.Contains(errOut, "Enabled clouds: aws") {
		t.Errorf("stderr lacks the fixes or the summary:\n%s", errOut)
	}
}

func TestCheckCommandNothingEnabled(t *testing.T) {
	checkEnv(t)
	code, out, errOut := runCheckCLI(t, "check", "gcp", "AZURE")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "GCP") || !strings.Contains(out, "AZURE") {
		t.Errorf("table:\n%s", out)
	}
	for _, want := range []string{"GCP is not enabled", "AZURE is not enabled", "az login"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The verdict is cached even when nothing is enabled.
	if clouds, known := cloudcheck.EnabledClouds(); !known || len(clouds) != 0 {
		t.Errorf("cache: %v %v", clouds, known)
	}

	code, _, errOut = runCheckCLI(t, "check", "oci")
	if code != 1 || !strings.Contains(errOut, `Unknown cloud "oci"`) {
		t.Errorf("unknown cloud: exit %d\n%s", code, errOut)
	}
}

func TestUseEnabledClouds(t *testing.T) {
	checkEnv(t)
	unpinned := &task.Pipeline{Tasks: []*task.Task{{Resources: task.ResourceSet{Items: []task.Resources{{}}}}}}
	pinned := &task.Pipeline{Tasks: []*task.Task{{Resources: task.ResourceSet{Items: []task.Resources{{Infra: task.Infra{Cloud: "aws"}}}}}}}

	// check never ran: every cloud, no note.
	var errb bytes.Buffer
	opts := optimizer.Options{}
	useEnabledClouds(&IO{Err: &errb}, unpinned, &opts, false)
	if opts.EnabledClouds != nil || errb.Len() != 0 {
		t.Fatalf("before check: %v %q", opts.EnabledClouds, errb.String())
	}

	if _, err := cloudcheck.SaveResults(cloudcheck.CachePath(), []cloudcheck.Result{{Cloud: "aws", Enabled: true}, {Cloud: "gcp"}, {Cloud: "azure"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	useEnabledClouds(&IO{Err: &errb}, unpinned, &opts, false)
	if strings.Join(opts.EnabledClouds, ",") != "aws" || errb.String() != "Considering only enabled clouds: aws (run `skyplan check` to refresh)\n" {
		t.Fatalf("after check: %v %q", opts.EnabledClouds, errb.String())
	}
	errb.Reset()
	opts = optimizer.Options{}
	useEnabledClouds(&IO{Err: &errb}, pinned, &opts, false)
	if strings.Join(opts.EnabledClouds, ",") != "aws" || errb.Len() != 0 {
		t.Fatalf("pinned task: %v %q", opts.EnabledClouds, errb.String())
	}
}
