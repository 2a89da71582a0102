package controllervm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/task"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJ2m7sQm0pIu5cCBgxk3oWZ3a0p1VbX3yq0v1zj6Xx9 skyplan"

// motoAMI is one of the images moto preloads in every region.
const motoAMI = "ami-03cf127a"

// clusterCase is a cluster root that uses every feature of the AWS
// cluster module moto can apply: two spot nodes, a task port, autostop
// with down (the node policy), an ephemeral and a persistent bucket.
func clusterCase(t *testing.T) *compiler.Module {
	t.Helper()
	r := task.Resources{UseSpot: true, Ports: []task.PortRange{{From: 8888, To: 8888}}, ImageID: &task.ImageID{Default: motoAMI},
		Autostop: &task.Autostop{Enabled: true, IdleMinutes: 5, Down: true}}
	tk := &task.Task{Name: "train", NumNodes: 2, Resources: task.ResourceSet{Items: []task.Resources{r}}, Run: "true",
		FileMounts: []task.FileMount{
			{Dst: "/ckpt", Storage: &task.Storage{Name: "skyplan-ctl-test-ckpt", Store: "s3", Mode: "MOUNT", Persistent: true}},
			{Dst: "/scratch", Storage: &task.Storage{Name: "skyplan-ctl-test-scratch", Store: "s3", Mode: "MOUNT"}},
		}}
	in := compiler.Input{ClusterName: "recorded", Task: tk, SSHPublicKey: testKey, SSHCIDRs: []string{"203.0.113.7/32"},
		Placement:             optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", NumNodes: 2, UseSpot: true, Request: &tk.Resources.Items[0]},
		DisablePlacementGroup: true, AWSSkipAccountChecks: true}
	m, ds := compiler.Compile(in)
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	return m
}

// TestPolicyCoversClusterModules applies and destroys a cluster root
// (cluster and persistent-bucket roots; destroy's refresh is the reads
// of the controller's Refresh) against moto through a recorder, and checks
// that the controller's policy allows every action Terraform called:
// when the cluster modules start calling something new, this fails.
func TestPolicyCoversClusterModules(t *testing.T) {
	if testing.Short() {
		t.Skip("applies against moto")
	}
	sts, err := PolicyStatements("aws")
	if err != nil {
		t.Fatal(err)
	}
	moto := provisiontest.StartMoto(t)
	rec := newActionRecorder(t, moto.URL)
	env := tfEnv(t, rec.URL)
	dir := t.TempDir()
	if err := clusterCase(t).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	buckets := filepath.Join(dir, "buckets")
	for _, root := range []string{buckets, dir} {
		runTF(t, root, env, "init", "-input=false")
		runTF(t, root, env, "apply", "-auto-approve", "-input=false")
	}
	// No separate `plan -refresh-only` (the controller's Refresh): destroy
	// refreshes every resource in state first, with the same reads, and
	// the extra run took a quarter of this test (3.5 of 14 minutes at load
	// average 60, past go test's default 10-minute -timeout).
	runTF(t, dir, env, "destroy", "-auto-approve", "-input=false")
	// Persistent buckets carry prevent_destroy, so skyplan never deletes
	// them; deleting one is the user's own step (docs/review.md). The test
	// lifts the guard in its copy of the module to empty moto and to see
	// the delete calls a user's controller-side cleanup would make.
	liftPreventDestroy(t, filepath.Join(dir, "modules", "aws", "buckets", "main.tf"))
	runTF(t, buckets, env, "destroy", "-auto-approve", "-input=false")
	// The tag sweep that the controller's down runs, with a leftover of
	// each account-wide kind (a killed apply's node role and profile,
	// made behind the recorder's back) for it to find and destroy.
	moto.CreateNodeRole(t, "recorded-node-20261202134744326200000009", "recorded")
	sweepThrough(t, dir, env)
	if left := moto.Tagged(t, "us-east-1", "recorded"); len(left) > 0 {
		t.Fatalf("the sweep left %v", left)
	}
	called := rec.Actions()
	if len(called) < 20 {
		t.Fatalf("recorder saw only %v: is the endpoint wired?", called)
	}
	for _, a := range called {
		if strings.Contains(a, "?") {
			t.Errorf("request the recorder cannot name: %s", a)
		} else if !Allows(sts, a) && !authorizationFree[a] {
			t.Errorf("the cluster modules call %s, which the controller policy (templates/aws/controller/iam.tf) does not allow: add it with a reason", a)
		}
	}
	t.Logf("%d actions called, all allowed: %s", len(called), strings.Join(called, " "))
}

// liftPreventDestroy turns the module file's prevent_destroy guards off.
func liftPreventDestroy(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lifted := strings.ReplaceAll(string(b), "prevent_destroy = true", "prevent_destroy = false")
	if lifted == string(b) {
		t.Fatalf("%s has no prevent_destroy guard to lift", file)
	}
	if err := os.WriteFile(file, []byte(lifted), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sweepThrough runs provision's tag sweep of the cluster root dir with
// terraform's environment env.
func sweepThrough(t *testing.T, dir string, env []string) {
	t.Helper()
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	ctx, cancel := testContext(t)
	defer cancel()
	start := time.Now()
	defer func() { t.Logf("tag sweep: %s", time.Since(start).Round(100*time.Millisecond)) }()
	tc, err := provision.NewToolchain(ctx, provision.ToolchainOptions{Home: t.TempDir(), Getenv: func(k string) string { return vars[k] }, Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := tc.Workspace(dir, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Sweep(ctx, provision.SweepOptions{Cloud: "aws", Region: "us-east-1", Tag: "recorded"}); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("the tag sweep had not finished %s before the test's deadline (give go test a longer -timeout): %v", deadlineMargin, err)
		}
		t.Fatalf("sweep: %v", err)
	}
}

// authorizationFree are calls every identity may make.
var authorizationFree = map[string]bool{"sts:GetCallerIdentity": true}
