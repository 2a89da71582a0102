package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/state"
)

// fakeCloudModule is a root module with the compiler's contract (a
// `nodes` output) made of terraform_data, Terraform's built-in resource,
// so real terraform runs offline without a cloud. A placement in region
// failRegion fails at apply with the AWS capacity error text.
func fakeCloudModule(in compiler.Input, failRegion string) *compiler.Module {
	cond := "true"
	if in.Placement.Region == failRegion {
		cond = "false"
	}
	main := fmt.Sprintf(`variable "capacity" {
  type    = bool
  default = %s
}

resource "terraform_data" "node" {
  count = %d
  input = "%s/%s"
  lifecycle {
    precondition {
      condition     = var.capacity
      error_message = "Error launching source instance: InsufficientInstanceCapacity: We currently do not have sufficient capacity in the Availability Zone you requested."
    }
  }
}

output "nodes" {
  value = [for i, n in terraform_data.node : {
    rank = i, instance_id = n.id, private_ip = "10.0.0.${i + 1}", public_ip = "", zone = "%s", ssh_user = "ubuntu"
  }]
}
`, cond, max(in.Placement.NumNodes, 1), in.Placement.Region, in.Placement.InstanceType, in.Placement.Zone)
	return &compiler.Module{Files: map[string][]byte{"main.tf": []byte(main)}}
}

func needTerraform(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform is not on PATH (.ci/run installs it)")
	}
}

// The Terraform path end to end with real terraform: fail over from a
// region with no capacity, record typed fields, save two plans and apply
// one (the other is then stale), refresh, and destroy.
func TestManagerTerraformLaunchPlanApplySavedRefreshDown(t *testing.T) {
	needTerraform(t)
	var mu sync.Mutex
	var regions []string
	var sshCIDRs []string // of the last compile
	failRegion := ""
	// No ssh_cidrs: the launch asks a (local) detection service.
	detect, _ := detectServer(t, 200, "203.0.113.7\n")
	m, log := newTestManager(t, Options{Config: config.Config{SSHDetectURL: detect.URL}, HTTPClient: detect.Client(),
		Compile: func(in compiler.Input) (*compiler.Module, diag.Diagnostics) {
			mu.Lock()
			defer mu.Unlock()
			if failRegion == "" {
				failRegion = in.Placement.Region // the optimizer's first choice has no capacity
			}
			regions = append(regions, in.Placement.Region)
			sshCIDRs = in.SSHCIDRs
			return fakeCloudModule(in, failRegion), nil
		}})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tk := loadTask(t, "resources:\n  infra: aws\n  cpus: 2\nrun: echo hi\n")

	res, ds := m.Launch(ctx, LaunchRequest{Cluster: "tf", Task: tk, ProvisionOnly: true, TaskFile: "task.yaml"})
	mustOK(t, "launch", ds)
	if len(res.Failures) == 0 || res.Failures[0].Class != "capacity" || res.Cluster.Region == failRegion {
		t.Fatalf("no failover: failures %+v, cluster in %s (first choice %s)\n%s", res.Failures, res.Cluster.Region, failRegion, log)
	}
	if !strings.Contains(log.String(), "capacity error in AWS ("+failRegion) {
		t.Errorf("progress lacks the failover line:\n%s", log)
	}
	if !strings.Contains(log.String(), "SSH from 203.0.113.7/32 (detected)") || strings.Join(sshCIDRs, ",") != "203.0.113.7/32" {
		t.Errorf("the detected address must reach the module (%v) and the progress:\n%s", sshCIDRs, log)
	}
	sc, _ := m.Get("tf")
	if sc.Status != state.StatusUp || sc.TerraformDir != m.Dir("tf") || !filepath.IsAbs(sc.TaskFile) || len(sc.Nodes) != 1 || sc.Nodes[0].PrivateIP != "10.0.0.1" || len(sc.Extra) != 0 {
		t.Fatalf("record: %+v", sc)
	}
	// Launching again with ProvisionOnly keeps it where it is.
	if again, ds := m.Launch(ctx, LaunchRequest{Cluster: "tf", Task: tk, ProvisionOnly: true}); ds.HasErrors() || again.Cluster.Region != sc.Region {
		t.Fatalf("re-launch moved or failed: %v", ds)
	}
	rf, ds := m.Refresh(ctx, RefreshRequest{Cluster: "tf"})
	mustOK(t, "refresh", ds)
	if len(rf.Drift) != 0 || rf.Cluster.Status != state.StatusUp {
		t.Errorf("refresh of an untouched cluster: %+v", rf)
	}
	if _, ds := m.Down(ctx, DownRequest{Cluster: "tf"}); ds.HasErrors() {
		t.Fatalf("down: %v", ds)
	}
	if _, ds := m.Get("tf"); !ds.HasErrors() {
		t.Errorf("record left after down")
	}

	// Saved plans: two plans of a new cluster; applying the first makes
	// the second stale, and the stale one changes nothing.
	p := res.Cluster
	place := PlacementOf(p)
	dir := t.TempDir()
	planA, planB := filepath.Join(dir, "a.tfplan"), filepath.Join(dir, "b.tfplan")
	for _, out := range []string{planA, planB} {
		pr, ds := m.Plan(ctx, PlanRequest{Cluster: "sp", Task: tk, Placement: place, Out: out, Show: true, SSHCIDRs: []string{"10.1.2.0/24"}})
		mustOK(t, "plan", ds)
		if !pr.Changes || pr.Summary.Add != 1 || pr.Terraform == nil || len(pr.Terraform.ResourceChanges) != 1 {
			t.Fatalf("plan: %+v", pr)
		}
		if pr.SSH.String() != "SSH from 10.1.2.0/24 (--ssh-cidr)" || strings.Join(sshCIDRs, ",") != "10.1.2.0/24" {
			t.Errorf("plan's SSH source: %q, compiled %v", pr.SSH, sshCIDRs)
		}
	}
	if _, ds := m.Get("sp"); !ds.HasErrors() {
		t.Errorf("plan must not record a cluster")
	}
	ap, ds := m.ApplySaved(ctx, ApplySavedRequest{PlanFile: planA})
	mustOK(t, "apply saved", ds)
	if ap.Cluster == nil || ap.Cluster.Status != state.StatusUp || ap.Cluster.Region != place.Region {
		t.Fatalf("apply saved: %+v", ap.Cluster)
	}
	_, ds = m.ApplySaved(ctx, ApplySavedRequest{PlanFile: planB})
	if !ds.HasErrors() || ds[0].Summary != "Saved plan is stale" {
		t.Fatalf("stale plan: %v", ds)
	}
	if sc, _ := m.Get("sp"); sc == nil || sc.Status != state.StatusUp {
		t.Errorf("the stale plan changed the cluster: %+v", sc)
	}
	if _, ds := m.Down(ctx, DownRequest{Cluster: "sp"}); ds.HasErrors() {
		t.Fatalf("down sp: %v", ds)
	}
}
