package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/optimizer"
)

func has(args []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(args, w) {
			return false
		}
	}
	return true
}

// TestTerraformCommands checks the argv and environment of every terraform
// call skyplan makes, through the fake terraform of TestMain.
func TestTerraformCommands(t *testing.T) {
	tc, logPath := fakeToolchain(t, nil)
	dir := filepath.Join(t.TempDir(), "clusters", "c1")
	ws, err := tc.Workspace(dir, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("terraform {\n  required_version = \">= 1.5\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The compiler's run-only values (the AWS provider's fast retries):
	// every run that evaluates the configuration passes them.
	runVars := filepath.Join(dir, compiler.RunVarsFile)
	if err := os.WriteFile(runVars, []byte(`{"aws_max_retries": 2}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ws.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(ctx); err != nil { // once per directory: no second run
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "p.tfplan")
	changes, res, err := ws.Plan(ctx, PlanOptions{Out: planFile})
	if err != nil || !changes || res.Summary == nil || res.Summary.Add != 2 {
		t.Fatalf("plan: changes=%v summary=%+v err=%v", changes, res.Summary, err)
	}
	if _, _, err := ws.Plan(ctx, PlanOptions{RefreshOnly: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Apply(ctx, planFile); err != nil {
		t.Fatal(err)
	}
	if n, err := ws.ManagedInstances(ctx); err != nil || n != 2 {
		t.Fatalf("state pull: %d %v", n, err)
	}
	if _, err := ws.Destroy(ctx, DestroyOptions{NoRefresh: true}); err != nil {
		t.Fatal(err)
	}
	calls := readCalls(t, logPath)
	var names []string
	for _, c := range calls {
		names = append(names, c.Args[0])
		if c.Dir != dir {
			t.Errorf("%s ran in %s, want %s", c.Args[0], c.Dir, dir)
		}
		if c.Env["TF_IN_AUTOMATION"] != "1" || c.Env["TF_LOG"] != "" || c.Env["CHECKPOINT_DISABLE"] != "1" {
			t.Errorf("%s env: %v", c.Args[0], c.Env)
		}
		if c.Env["TF_CLI_CONFIG_FILE"] != tc.Env["TF_CLI_CONFIG_FILE"] || c.Env["AWS_ACCESS_KEY_ID"] != "testing" {
			t.Errorf("%s env lacks the CLI config or credentials: %v", c.Args[0], c.Env)
		}
	}
	if want := []string{"init", "plan", "plan", "apply", "state", "destroy"}; !slices.Equal(names, want) {
		t.Fatalf("calls %v, want %v", names, want)
	}
	checks := []struct {
		i    int
		want []string
		not  []string
	}{
		{0, []string{"-json", "-input=false", "-upgrade=false", "-reconfigure"}, nil},
		{1, []string{"-json", "-input=false", "-detailed-exitcode", "-out=" + planFile, "-var-file=" + runVars}, []string{"-refresh-only", "-destroy"}},
		{2, []string{"-json", "-refresh-only", "-var-file=" + runVars}, nil},
		// A saved plan carries its values; Terraform refuses -var-file with one.
		{3, []string{"-json", "-auto-approve", "-input=false", planFile}, []string{"-var-file=" + runVars}},
		{4, []string{"pull"}, nil},
		{5, []string{"-json", "-auto-approve", "-refresh=false", "-var-file=" + runVars}, nil},
	}
	for _, ck := range checks {
		a := calls[ck.i].Args
		if !has(a, ck.want...) {
			t.Errorf("%s argv %v lacks %v", a[0], a, ck.want)
		}
		for _, n := range ck.not {
			if slices.Contains(a, n) {
				t.Errorf("%s argv %v has %s", a[0], a, n)
			}
		}
	}
	// Changing the providers (another cloud) re-initialises.
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte("terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n"), 0o644)
	if err := ws.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(readCalls(t, logPath)); n != len(calls)+1 {
		t.Errorf("changed providers did not re-run init (%d calls)", n)
	}
	// The next zone in the same region applies without a refresh.
	if _, err := ws.Apply(ctx, "", ApplyOptions{NoRefresh: true}); err != nil {
		t.Fatal(err)
	}
	all := readCalls(t, logPath)
	if a := all[len(all)-1].Args; a[0] != "apply" || !has(a, "-json", "-auto-approve", "-refresh=false", "-var-file="+runVars) {
		t.Errorf("apply without refresh: %v", a)
	}
	// A root compiled without run-only values gets no -var-file.
	os.Remove(runVars)
	if _, err := ws.Apply(ctx, ""); err != nil {
		t.Fatal(err)
	}
	all = readCalls(t, logPath)
	if a := all[len(all)-1].Args; slices.ContainsFunc(a, func(s string) bool { return strings.HasPrefix(s, "-var-file") }) {
		t.Errorf("apply of a root without %s: %v", compiler.RunVarsFile, a)
	}
}

func TestCLIConfigEnv(t *testing.T) {
	home := t.TempDir()
	mirror := filepath.Join(t.TempDir(), "mirror")
	os.MkdirAll(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64"), 0o755)
	env, err := CLIConfigEnv(CLIConfigOptions{UserFile: filepath.Join(home, "missing.tfrc"), Mirrors: []string{mirror, filepath.Join(home, "nope")}, Dir: home})
	if err != nil {
		t.Fatal(err)
	}
	path := env["TF_CLI_CONFIG_FILE"]
	if path != filepath.Join(home, "terraform.tfrc") {
		t.Fatalf("a missing user config must be replaced by skyplan's: %v", env)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"# Generated by skyplan", `plugin_cache_dir   = "` + filepath.Join(home, "plugin-cache") + `"`, "filesystem_mirror {", `path    = "` + mirror + `"`, `include = ["registry.terraform.io/hashicorp/aws"]`, "direct {", `exclude = ["registry.terraform.io/hashicorp/aws"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("CLI config lacks %q:\n%s", want, b)
		}
	}
	// An existing user config is the user's choice: used as is, plus a cache.
	user := filepath.Join(home, "user.tfrc")
	os.WriteFile(user, []byte("provider_installation {\n  direct {}\n}\n"), 0o644)
	env, err = CLIConfigEnv(CLIConfigOptions{UserFile: user, Dir: home})
	if err != nil || env["TF_CLI_CONFIG_FILE"] != user || env["TF_PLUGIN_CACHE_DIR"] != filepath.Join(home, "plugin-cache") {
		t.Fatalf("user config: %v %v", env, err)
	}
	env, _ = CLIConfigEnv(CLIConfigOptions{UserFile: user, PluginCacheDir: filepath.Join(home, "mine"), Dir: home})
	if _, set := env["TF_PLUGIN_CACHE_DIR"]; set {
		t.Errorf("the user's TF_PLUGIN_CACHE_DIR is inherited, not overridden: %v", env)
	}
}

func TestStreamReader(t *testing.T) {
	var ui strings.Builder
	sr := newStreamReader(&ui, false, "apply")
	sr.run(strings.NewReader(strings.Join([]string{
		`{"@level":"info","@message":"aws_instance.node[0]: Creating...","type":"apply_start","hook":{"resource":{"addr":"aws_instance.node[0]"},"action":"create"}}`,
		`{"@level":"info","@message":"aws_instance.node[0]: Still creating... [10s elapsed]","type":"apply_progress","hook":{"resource":{"addr":"aws_instance.node[0]"},"action":"create","elapsed_seconds":10}}`,
		`{"@level":"info","@message":"aws_security_group.c: Creation complete after 1s [id=sg-1]","type":"apply_complete","hook":{"resource":{"addr":"aws_security_group.c"},"action":"create"}}`,
		`{"@level":"info","@message":"drift","type":"resource_drift","change":{"resource":{"addr":"aws_instance.node[0]"},"action":"delete"}}`,
		`{"@level":"error","@message":"Error: creating EC2 Instance: InsufficientInstanceCapacity","type":"diagnostic","diagnostic":{"severity":"error","summary":"creating EC2 Instance: InsufficientInstanceCapacity: no capacity","detail":"","address":"aws_instance.node[0]"}}`,
		`not json at all`,
	}, "\n")))
	res := sr.result()
	if len(res.Errors()) != 1 || res.Errors()[0].Address != "aws_instance.node[0]" {
		t.Errorf("diagnostics: %+v", res.Diagnostics)
	}
	if !slices.Equal(res.Created, []string{"aws_security_group.c"}) || !slices.Equal(res.Drift, []string{"aws_instance.node[0] (delete)"}) {
		t.Errorf("created %v drift %v", res.Created, res.Drift)
	}
	for _, want := range []string{"Creating...", "Still creating... [10s elapsed]", "not json at all"} {
		if !strings.Contains(ui.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, ui.String())
		}
	}
	te := &TerraformError{Op: "apply", Diagnostics: res.Diagnostics, Err: errors.New("exit status 1")}
	if te.Address() != "aws_instance.node[0]" || Classify("aws", te.Text()).Class != Capacity {
		t.Errorf("error: %v", te)
	}
}

func bptr(b bool) *bool { return &b }

func TestBlocksFor(t *testing.T) {
	p := optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p3.2xlarge"}
	cases := []struct {
		name  string
		cloud string
		class Classification
		p     optimizer.Placement
		want  []optimizer.Blocked
	}{
		{"aws capacity blocks the zone", "aws", Classification{Class: Capacity}, p,
			[]optimizer.Blocked{{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p3.2xlarge", UseSpot: bptr(false)}}},
		{"aws quota blocks the region", "aws", Classification{Class: Quota}, p,
			[]optimizer.Blocked{{Cloud: "aws", Region: "us-east-1", InstanceType: "p3.2xlarge", UseSpot: bptr(false)}}},
		{"gcp all-regions quota blocks every region", "gcp", Classification{Class: Quota, AllRegions: true},
			optimizer.Placement{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "a2-highgpu-1g"},
			[]optimizer.Blocked{{Cloud: "gcp", InstanceType: "a2-highgpu-1g", UseSpot: bptr(false)}}},
		{"azure capacity blocks the region", "azure", Classification{Class: Capacity},
			optimizer.Placement{Cloud: "azure", Region: "eastus", InstanceType: "Standard_NC6"},
			[]optimizer.Blocked{{Cloud: "azure", Region: "eastus", InstanceType: "Standard_NC6", UseSpot: bptr(false)}}},
		{"spot blocks the zone for spot only", "aws", Classification{Class: Spot},
			optimizer.Placement{Cloud: "aws", Region: "us-west-2", Zone: "us-west-2b", InstanceType: "g5.xlarge", UseSpot: true},
			[]optimizer.Blocked{{Cloud: "aws", Region: "us-west-2", Zone: "us-west-2b", InstanceType: "g5.xlarge", UseSpot: bptr(true)}}},
		{"auth blocks nothing", "aws", Classification{Class: Auth}, p, nil},
		{"transient blocks nothing", "aws", Classification{Class: Transient}, p, nil},
	}
	for _, c := range cases {
		got := BlocksFor(c.class, c.p, "")
		if len(got) != len(c.want) {
			t.Errorf("%s: got %+v", c.name, got)
			continue
		}
		for i := range got {
			g, w := got[i], c.want[i]
			if g.Cloud != w.Cloud || g.Region != w.Region || g.Zone != w.Zone || g.InstanceType != w.InstanceType || *g.UseSpot != *w.UseSpot {
				t.Errorf("%s: got %+v want %+v", c.name, g, w)
			}
		}
	}
}

func TestCandidatePlannerAndZones(t *testing.T) {
	r1 := optimizer.Placement{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Zones: []string{"us-east-1a", "us-east-1b"}}
	r2 := optimizer.Placement{Cloud: "aws", Region: "us-east-2", InstanceType: "m6i.large", Zones: []string{"us-east-2a"}}
	plan := CandidatePlanner([]optimizer.Placement{r1, r2})
	blocked := BlocksFor(Classification{Class: Capacity}, withZone(r1, "us-east-1a"), "")
	if z := ZonesToTry(r1, blocked); !slices.Equal(z, []string{"us-east-1b"}) {
		t.Errorf("zones after blocking 1a: %v", z)
	}
	if p, _ := plan(blocked); p.Region != "us-east-1" {
		t.Errorf("one zone left: still us-east-1, got %s", p.Region)
	}
	blocked = append(blocked, BlocksFor(Classification{Class: Capacity}, withZone(r1, "us-east-1b"), "")...)
	if p, _ := plan(blocked); p.Region != "us-east-2" {
		t.Errorf("all zones blocked: want us-east-2, got %s", p.Region)
	}
	blocked = append(blocked, BlocksFor(Classification{Class: Quota}, withZone(r2, "us-east-2a"), "")...)
	if _, err := plan(blocked); !errors.Is(err, ErrNoPlacement) {
		t.Errorf("everything blocked: %v", err)
	}
}

func withZone(p optimizer.Placement, z string) optimizer.Placement { p.Zone = z; return p }
