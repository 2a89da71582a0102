package cloud_test

import (
	"embed"
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/task"
)

// fakeCloud is a fourth cloud defined entirely in this test file: what
// "Adding a cloud" in docs/architecture.md asks of a new cloud (identity,
// locality, a module with its embedded template, error rules), and
// nothing else. Catalog rows come from testdata/fakecloud/catalog.
type fakeCloud struct{}

//go:embed testdata/fakecloud/module
var fakeModule embed.FS

func (fakeCloud) Name() string             { return "fake" }
func (fakeCloud) DisplayName() string      { return "Fake" }
func (fakeCloud) DefaultSSHUser() string   { return "fakeuser" }
func (fakeCloud) ZoneLevel(spot bool) bool { return true }
func (fakeCloud) HasZones() bool           { return true }
func (fakeCloud) MaxNameLength() int       { return 20 }

func (fakeCloud) IsDefaultFamily(instanceType string) bool {
	return strings.HasPrefix(instanceType, "fk.")
}
func (fakeCloud) DefaultFamiliesText() string { return "fk" }

func (fakeCloud) ModuleFiles() (fs.FS, error) { return fs.Sub(fakeModule, "testdata/fakecloud/module") }

func (fakeCloud) Root(req cloud.ModuleRequest) (cloud.ModuleRoot, diag.Diagnostics) {
	vars := []cloud.Var{{Name: "region", Type: "string", Value: req.Region, ProviderOnly: true, Description: "Fake region."}}
	vars = append(vars, req.Common...)
	vars = append(vars,
		cloud.Var{Name: "zone", Type: "string", Value: req.Zone},
		cloud.Var{Name: "instance_type", Type: "string", Value: req.InstanceType})
	return cloud.ModuleRoot{Vars: vars, Providers: []cloud.Provider{{Name: "null", Source: "hashicorp/null", Version: "3.2.4"}}}, nil
}

func (fakeCloud) ProviderBlocks(b *hclwrite.Body, req cloud.ModuleRequest) error {
	b.AppendNewline()
	b.AppendNewBlock("provider", []string{"null"})
	return nil
}

var fakeErrors = &cloud.ErrorTable{
	Rules: []cloud.ErrorRule{
		{Class: cloud.Auth, Pattern: `FAKE_BAD_TOKEN`},
		{Class: cloud.Capacity, Pattern: `FAKE_CAPACITY_EXHAUSTED`},
	},
	Zone: regexp.MustCompile(`in zone (fk-[a-z]+-\d[a-z])`),
	Fix:  map[cloud.ErrorClass]string{cloud.Auth: "run `fake login`"},
}

func (fakeCloud) ErrorTable() *cloud.ErrorTable { return fakeErrors }

func registerFake(t *testing.T) *catalog.Catalog {
	t.Helper()
	cloud.Register(fakeCloud{})
	t.Cleanup(func() { cloud.Unregister("fake") })
	cat, err := catalog.LoadDir("testdata/fakecloud/catalog")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func fakeTask(r task.Resources) *task.Task {
	return &task.Task{Name: "fk", NumNodes: 1, Resources: task.ResourceSet{Items: []task.Resources{r}}}
}

// TestFakeCloudPlansCompilesClassifies registers a cloud from this test
// file and runs the planner, the compiler and the classifier with it:
// nothing outside this file names it.
func TestFakeCloudPlansCompilesClassifies(t *testing.T) {
	cat := registerFake(t)
	if got := catalog.Clouds(); !strings.Contains(strings.Join(got, ","), "fake") {
		t.Fatalf("catalog.Clouds() = %v lacks the registered fake cloud", got)
	}

	// Plan: unpinned, only the fake cloud enabled; default CPU families,
	// spot placements per zone (its Locality), cheapest zone first.
	cpus := &task.Quantity{Value: 8, AtLeast: true}
	plan, ds := optimizer.Optimize(fakeTask(task.Resources{CPUs: cpus, UseSpot: true}), optimizer.Options{Catalog: cat, EnabledClouds: []string{"fake"}})
	if ds.HasErrors() || plan.Chosen == nil {
		t.Fatalf("plan: %v", ds)
	}
	ch := *plan.Chosen
	if got, want := ch.Key().String(), "fake/fk-east-1/fk-east-1b/fk.large[spot]"; got != want {
		t.Fatalf("chosen %s, want %s (cheapest spot zone of the cheapest 8-vCPU type)", got, want)
	}
	var buf strings.Builder
	optimizer.WriteTable(&buf, plan, false)
	if !strings.Contains(buf.String(), "Fake (fk-east-1b)") {
		t.Errorf("plan table does not show the fake cloud's display name:\n%s", buf.String())
	}

	// Compile: the root calls the fake module, pins its provider, and
	// values its variables; the module's files are copied from the embed.
	in := compiler.Input{ClusterName: "my-fake-cluster-with-a-long-name", Task: fakeTask(*ch.Request), Placement: ch,
		SSHPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake skyplan", SSHCIDRs: []string{"203.0.113.7/32"}}
	m, cds := compiler.Compile(in)
	if cds.HasErrors() {
		t.Fatalf("compile: %v", cds)
	}
	main := string(m.Files[compiler.MainFile])
	for _, want := range []string{`"./modules/fake"`, `provider "null" {`, `"hashicorp/null"`, `"Fake region."`} {
		if !strings.Contains(main, want) {
			t.Errorf("main.tf lacks %s:\n%s", want, main)
		}
	}
	if len(m.Files["modules/fake/main.tf"]) == 0 {
		t.Errorf("module files not copied: %v", m.Paths())
	}
	var vars map[string]any
	if err := json.Unmarshal(m.Files[compiler.VarsFile], &vars); err != nil {
		t.Fatal(err)
	}
	if vars["zone"] != "fk-east-1b" || vars["instance_type"] != "fk.large" || vars["ssh_user"] != "fakeuser" || vars["use_spot"] != true {
		t.Errorf("tfvars = %v", vars)
	}
	if n, _ := vars["cluster_name"].(string); len(n) > 20 {
		t.Errorf("cluster_name %q ignores the cloud's 20-character limit", n)
	}

	// Classify: the fake cloud's own rules; a capacity error names its
	// zone, blocks it, and the re-plan moves to the next zone.
	c := provision.Classify("fake", "Error: creating Fake VM: FAKE_CAPACITY_EXHAUSTED in zone fk-east-1b")
	if c.Class != provision.Capacity || !c.Class.FailsOver() || c.Zone != "fk-east-1b" {
		t.Fatalf("capacity classification = %+v", c)
	}
	if a := provision.Classify("fake", "FAKE_BAD_TOKEN"); a.Class != provision.Auth || a.Fix != "run `fake login`" {
		t.Errorf("auth classification = %+v", a)
	}
	blocked := provision.BlocksFor(c, ch, "no capacity")
	plan, ds = optimizer.Optimize(fakeTask(task.Resources{CPUs: cpus, UseSpot: true}), optimizer.Options{Catalog: cat, EnabledClouds: []string{"fake"}, Blocked: blocked})
	if ds.HasErrors() || plan.Chosen == nil {
		t.Fatalf("re-plan: %v", ds)
	}
	if got, want := plan.Chosen.Key().String(), "fake/fk-east-1/fk-east-1a/fk.large[spot]"; got != want {
		t.Errorf("after blocking %v the plan is %s, want %s", blocked, got, want)
	}
}

// TestUnregisteredCloudIsRefused: without its registry line, the same
// cloud is unknown to the compiler and the classifier.
func TestUnregisteredCloudIsRefused(t *testing.T) {
	p := optimizer.Placement{Cloud: "fake", Region: "fk-east-1", Zone: "fk-east-1a", InstanceType: "fk.large"}
	_, ds := compiler.Compile(compiler.Input{ClusterName: "x", Placement: p, SSHPublicKey: "ssh-ed25519 AAAA x", SSHCIDRs: []string{"203.0.113.7/32"}})
	if !ds.HasErrors() || !strings.Contains(ds.Error(), "aws, gcp and azure") {
		t.Errorf("compile on an unregistered cloud: %v", ds)
	}
	if c := provision.Classify("fake", "FAKE_CAPACITY_EXHAUSTED"); c.Class != provision.Unknown {
		t.Errorf("classify on an unregistered cloud = %+v", c)
	}
}
