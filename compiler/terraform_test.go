package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func terraformBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not on PATH")
	}
	return p
}

// awsMirror finds the filesystem mirror holding hashicorp/aws (the image
// ships it under /opt/tf-plugins).
func awsMirror() string {
	candidates := []string{os.Getenv("SKYPLAN_TF_MIRROR"), "/opt/tf-plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".terraform.d", "plugins"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join(c, "registry.terraform.io", "hashicorp", "aws", "*")); len(m) > 0 {
			return c
		}
	}
	return ""
}

// tfEnv writes a CLI config that installs providers only from the mirror,
// through a plugin cache shared by every test run (init stays fast).
func tfEnv(t *testing.T, mirror string) []string {
	t.Helper()
	cache := filepath.Join(os.TempDir(), "skyplan-test-tf-plugin-cache")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "skyplan.tfrc")
	body := fmt.Sprintf(`plugin_cache_dir = %q
disable_checkpoint = true
provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
}
`, cache, mirror)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cfg,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		// Dummy credentials and an unroutable endpoint: plan must not need AWS.
		"AWS_ACCESS_KEY_ID=skyplan-test",
		"AWS_SECRET_ACCESS_KEY=skyplan-test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
	)
}

func runTF(t *testing.T, bin, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return out.String()
}

func TestTerraformFmt(t *testing.T) {
	bin := terraformBin(t)
	for _, dir := range []string{"../templates", goldenDir} {
		cmd := exec.Command(bin, "fmt", "-check", "-recursive", "-list=true", dir)
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+filepath.Join(t.TempDir(), "none.tfrc"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("terraform fmt -check %s: %v\nfiles needing fmt:\n%s", dir, err, out)
		}
	}
}

// TestAWSTerraformValidate runs terraform init (from the provider mirror),
// validate and an offline plan on the AWS module and every AWS golden. The
// plan evaluates the tfvars against the module's validation blocks and
// expressions; it runs with the opt-in account-check skips and an
// unroutable endpoint, so it never reaches AWS.
func TestAWSTerraformValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("terraform init/validate/plan take a while")
	}
	bin := terraformBin(t)
	mirror := awsMirror()
	if mirror == "" {
		t.Skip("no hashicorp/aws provider mirror (registry.terraform.io dir) found")
	}
	env := tfEnv(t, mirror)
	t.Run("module", func(t *testing.T) {
		dir := t.TempDir()
		files, err := moduleFiles("aws")
		if err != nil {
			t.Fatal(err)
		}
		for rel, b := range files {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755)
			os.WriteFile(filepath.Join(dir, rel), b, 0o644)
		}
		runTF(t, bin, dir, env, "init", "-input=false", "-backend=false", "-no-color")
		runTF(t, bin, dir, env, "validate", "-no-color")
	})
	cases := goldenCases()
	var names []string
	for n, in := range cases {
		if in.Placement.Cloud == "aws" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := cases[name]
			m := compileCase(t, name, in)
			// The golden on disk is exactly what Compile returns.
			golden, err := os.ReadFile(filepath.Join(goldenDir, name, MainFile))
			if err != nil || !bytes.Equal(golden, m.Files[MainFile]) {
				t.Fatalf("golden %s/main.tf is stale (run -update): %v", name, err)
			}
			if err := m.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			roots := []string{dir}
			if _, ok := m.Files["buckets/"+MainFile]; ok {
				roots = append(roots, filepath.Join(dir, "buckets"))
			}
			for _, root := range roots {
				runTF(t, bin, root, env, "init", "-input=false", "-backend=false", "-no-color")
				out := runTF(t, bin, root, env, "validate", "-json", "-no-color")
				var v struct {
					Valid bool `json:"valid"`
				}
				if err := json.Unmarshal([]byte(out), &v); err != nil || !v.Valid {
					t.Fatalf("validate %s: %s", root, out)
				}
			}
			// Plan with real values: same module, provider told to skip
			// account lookups (the opt-in Input field).
			in.AWSSkipAccountChecks = true
			pm := compileCase(t, name, in)
			if err := pm.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			// An ami_lookup and the zone_id lookup are data sources read at
			// plan time, which need the EC2 API: pinned and placed by name
			// here (TestAWSImageLookupOnMoto resolves an image,
			// TestAWSApplyOnMoto a zone ID).
			out := runTF(t, bin, dir, env, "plan", "-input=false", "-refresh=false", "-lock=false", "-no-color", "-var=ami_lookup=null", "-var=zone_id=")
			if !strings.Contains(out, "Plan:") || !strings.Contains(out, "aws_instance") {
				t.Fatalf("plan shows no instances:\n%s", out)
			}
			if spot := strings.Contains(out, `market_type = "spot"`); spot != in.Placement.UseSpot {
				t.Errorf("plan requests spot=%v, placement says %v", spot, in.Placement.UseSpot)
			}
			nodes := in.Placement.NumNodes
			for i := 0; i < nodes; i++ {
				if !strings.Contains(out, fmt.Sprintf("module.cluster.aws_instance.node[%d]", i)) {
					t.Errorf("plan lacks node %d", i)
				}
			}
			if strings.Contains(out, fmt.Sprintf("aws_instance.node[%d]", nodes)) {
				t.Errorf("plan has more than %d nodes", nodes)
			}
		})
	}
}
