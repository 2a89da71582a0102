package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// syntheticPlan decodes a document shaped like `terraform show -json` of a
// saved plan, so the renderer is tested on what Terraform really emits.
func syntheticPlan(t *testing.T, doc string) *tfjson.Plan {
	t.Helper()
	var p tfjson.Plan
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

const newClusterPlanJSON = `{
  "format_version": "1.2",
  "terraform_version": "1.11.4",
  "variables": {
    "ssh_cidrs": {"value": ["203.0.113.7/32"]},
    "ports": {"value": [{"from": 8080, "to": 8080}, {"from": 9000, "to": 9010}]},
    "use_private_ip": {"value": false},
    "ssh_public_key": {"value": "ssh-ed25519 AAAA test"}
  },
  "resource_changes": [
    {"address": "module.cluster.aws_security_group.cluster", "module_address": "module.cluster", "mode": "managed", "type": "aws_security_group", "name": "cluster", "change": {"actions": ["create"]}},
    {"address": "module.cluster.aws_instance.node[0]", "module_address": "module.cluster", "mode": "managed", "type": "aws_instance", "name": "node", "index": 0, "change": {"actions": ["create"]}},
    {"address": "module.cluster.aws_instance.node[1]", "module_address": "module.cluster", "mode": "managed", "type": "aws_instance", "name": "node", "index": 1, "change": {"actions": ["create"]}},
    {"address": "module.cluster.data.aws_ami.ubuntu", "module_address": "module.cluster", "mode": "data", "type": "aws_ami", "name": "ubuntu", "change": {"actions": ["read"]}},
    {"address": "module.cluster.aws_key_pair.cluster", "module_address": "module.cluster", "mode": "managed", "type": "aws_key_pair", "name": "cluster", "change": {"actions": ["no-op"]}}
  ]
}`

func gpuTaskPlan() (*optimizer.TaskPlan, optimizer.Placement) {
	v100 := map[string]float64{"V100": 1}
	chosen := optimizer.Placement{Cloud: "aws", Region: "us-east-1", InstanceType: "p3.2xlarge", Accelerators: v100, UseSpot: true,
		VCPUs: 8, MemoryGiB: 61, HourlyCostPerNode: 0.918, HourlyCost: 1.836}
	plan := &optimizer.TaskPlan{Name: "train", NumNodes: 2, Chosen: &chosen, Candidates: []optimizer.Placement{
		chosen,
		{Cloud: "aws", Region: "us-west-2", InstanceType: "p3.2xlarge", Accelerators: v100, UseSpot: true, VCPUs: 8, MemoryGiB: 61, HourlyCost: 1.9},
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n1-highmem-8", Accelerators: v100, UseSpot: true, VCPUs: 8, MemoryGiB: 52, HourlyCost: 2.2},
	}}
	exact := chosen
	exact.Zone, exact.NumNodes = "us-east-1a", 2
	return plan, exact
}

func TestReviewMarkdownNewCluster(t *testing.T) {
	plan, exact := gpuTaskPlan()
	r := buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: syntheticPlan(t, newClusterPlanJSON), PlanFile: "plan.tfplan",
		// The plan's variables win over these fallbacks.
		SSHCIDRs: []string{"198.51.100.0/24"}})
	var b bytes.Buffer
	writeReviewMarkdown(&b, r)
	md := b.String()
	t.Log(md)
	for _, want := range []string{
		"### skyplan plan: cluster `train`",
		"**AWS (us-east-1a)**, 2x(gpus=V100:1, p3.2xlarge[Spot]): **$1.8360/hour** (+$1.8360/hour vs. now)",
		"Cheapest of 3 feasible placement(s) on 2 cloud(s); next: AWS (us-west-2) p3.2xlarge[Spot] at $1.9000/hour (+$0.0640/hour).",
		"| | INFRA | INSTANCE | vCPUs | Mem(GB) | GPUS | COST ($/h) |",
		"| ✔ | AWS (us-east-1) | p3.2xlarge[Spot] | 8 | 61 | V100:1 | 1.84 |",
		"|  | GCP (us-central1-a) | n1-highmem-8[Spot] | 8 | 52 | V100:1 | 2.20 |",
		"#### Changes: 3 to add, 0 to change, 0 to destroy",
		"| create | `module.cluster.aws_instance.node` | 2 |",
		"| create | `module.cluster.aws_security_group.cluster` | 1 |",
		"| Running now (new cluster) | 0.0000 |",
		"| **Delta** | **+$1.8360** |",
		"- SSH (22/tcp) from 203.0.113.7/32 (ssh_cidrs)\n",
		"- ⚠️ Task port 8080/tcp open to the whole Internet (0.0.0.0/0)",
		"- ⚠️ Task port 9000-9010/tcp open to the whole Internet",
		"Each of the 2 node(s) gets a public IPv4 address",
		"Spot instances: AWS can reclaim them at any time (2-minute notice)",
		"```sh\nskyplan apply plan.tfplan\n```",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	// Data sources and no-ops are not changes; the fallback CIDR is unused;
	// the public key variable never reaches the comment.
	for _, bad := range []string{"aws_ami", "aws_key_pair", "198.51.100.0/24", "ssh-ed25519"} {
		if strings.Contains(md, bad) {
			t.Errorf("markdown mentions %q", bad)
		}
	}
	// One row per cloud/GPU/market group (us-west-2 folds into AWS's
	// cheaper row); exactly one row is marked chosen.
	if strings.Contains(md, "us-west-2) |") {
		t.Errorf("considered table lists the group's dearer region")
	}
	if n := strings.Count(md, "| ✔ |"); n != 1 {
		t.Errorf("%d chosen rows", n)
	}
}

// TestReviewShowsPortsCIDRs: the task ports are reported with the source
// ranges the plan opens them to (ports_cidrs, beside ssh_cidrs), and are
// flagged only when those ranges include the whole Internet.
func TestReviewShowsPortsCIDRs(t *testing.T) {
	plan, exact := gpuTaskPlan()
	doc := strings.Replace(newClusterPlanJSON, `"use_private_ip": {"value": false},`,
		`"use_private_ip": {"value": false}, "ports_cidrs": {"value": ["10.20.0.0/16", "198.51.100.9/32"]},`, 1)
	r := buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: syntheticPlan(t, doc), PlanFile: "p",
		PortsCIDRs: []string{"0.0.0.0/0"}}) // the plan's value wins over the fallback
	var b bytes.Buffer
	writeReviewMarkdown(&b, r)
	md := b.String()
	for _, want := range []string{
		"- SSH (22/tcp) from 203.0.113.7/32 (ssh_cidrs)\n",
		"- Task port 8080/tcp from 10.20.0.0/16, 198.51.100.9/32 (ports_cidrs)",
		"- Task port 9000-9010/tcp from 10.20.0.0/16, 198.51.100.9/32 (ports_cidrs)",
		"- Each of the 2 node(s) gets a public IPv4 address",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "whole Internet") || strings.Contains(md, "⚠️") {
		t.Errorf("restricted ports flagged as open:\n%s", md)
	}
	for _, n := range r.Security {
		if n.Kind == "port" && (n.Open || strings.Join(n.CIDRs, ",") != "10.20.0.0/16,198.51.100.9/32") {
			t.Errorf("port note %+v", n)
		}
	}
	// A plan that opens them to everyone says so and names the fix.
	doc = strings.Replace(doc, `"10.20.0.0/16", "198.51.100.9/32"`, `"0.0.0.0/0"`, 1)
	b.Reset()
	writeReviewMarkdown(&b, buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: syntheticPlan(t, doc), PlanFile: "p"}))
	if want := "- ⚠️ Task port 8080/tcp open to the whole Internet (0.0.0.0/0), from resources.ports; restrict with ports_cidrs (config) or --ports-cidr"; !strings.Contains(b.String(), want) {
		t.Errorf("markdown lacks %q\n%s", want, b.String())
	}
}

func TestReviewDeltaAgainstRunningCluster(t *testing.T) {
	plan, exact := gpuTaskPlan()
	exact.UseSpot, exact.HourlyCost = false, 6.12
	tf := syntheticPlan(t, `{"format_version": "1.2", "resource_changes": [
	  {"address": "module.cluster.aws_instance.node[0]", "mode": "managed", "index": 0, "change": {"actions": ["delete", "create"]}},
	  {"address": "module.cluster.aws_instance.node[1]", "mode": "managed", "index": 1, "change": {"actions": ["create", "delete"]}},
	  {"address": "module.cluster.aws_security_group.cluster", "mode": "managed", "change": {"actions": ["update"]}},
	  {"address": "module.cluster.aws_eip.efa[\"x|y\"]", "mode": "managed", "change": {"actions": ["delete"]}}]}`)
	up := &state.Cluster{Name: "train", Status: state.StatusUp, Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a",
		InstanceType: "p3.2xlarge", NumNodes: 2, UseSpot: true, HourlyCost: 1.836}
	r := buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: tf, Existing: up, PlanFile: "/ci/plan.tfplan",
		Ports: []task.PortRange{{From: 22, To: 22}}, SSHCIDRs: []string{"0.0.0.0/0"}, UsePrivateIP: true})
	if r.Summary != (reviewSummary{Add: 2, Change: 1, Destroy: 3}) {
		t.Errorf("summary %+v, want 2 add (replacements), 1 change, 3 destroy", r.Summary)
	}
	if r.Delta == nil || *r.Delta != 4.284 {
		t.Errorf("delta %v, want +4.284", r.Delta)
	}
	var b bytes.Buffer
	writeReviewMarkdown(&b, r)
	md := b.String()
	for _, want := range []string{
		"(+$4.2840/hour vs. now)",
		"| update | `module.cluster.aws_security_group.cluster` | 1 |",
		"| replace | `module.cluster.aws_instance.node` | 2 |",
		"| destroy | `module.cluster.aws_eip.efa` | 1 |",
		"| Running now (cluster is UP: AWS (us-east-1a), 2x p3.2xlarge[Spot]) | 1.8360 |",
		// Without plan variables the task's ports and the config's CIDRs
		// are reported, and an open SSH range is flagged.
		"- ⚠️ SSH (22/tcp) from 0.0.0.0/0 (ssh_cidrs): open to the whole Internet",
		"- ⚠️ Task port 22/tcp",
		"- Nodes get no public IP address",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "Spot instances") {
		t.Errorf("on-demand plan has a spot note")
	}
	// update sorts before replace before destroy.
	if strings.Index(md, "| update |") > strings.Index(md, "| replace |") || strings.Index(md, "| replace |") > strings.Index(md, "| destroy |") {
		t.Errorf("changes not grouped by action order:\n%s", md)
	}
}

// A CI runner with remote state may not have launched the cluster: the
// prior state shows it exists, so the review must not call it new.
func TestReviewRemoteOnlyClusterHasUnknownDelta(t *testing.T) {
	plan, exact := gpuTaskPlan()
	tf := syntheticPlan(t, `{"format_version": "1.2",
	  "prior_state": {"format_version": "1.0", "values": {"root_module": {"child_modules": [{"address": "module.cluster", "resources": [
	    {"address": "module.cluster.aws_instance.node[0]", "mode": "managed", "type": "aws_instance", "name": "node"},
	    {"address": "module.cluster.data.aws_ami.ubuntu", "mode": "data", "type": "aws_ami", "name": "ubuntu"}]}]}}},
	  "resource_changes": [{"address": "module.cluster.aws_instance.node[0]", "mode": "managed", "change": {"actions": ["no-op"]}}]}`)
	r := buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: tf, PlanFile: "p"})
	if r.Running.Status != "remote" || r.Delta != nil || r.Running.HourlyCost != nil {
		t.Errorf("running %+v delta %v", r.Running, r.Delta)
	}
	var b bytes.Buffer
	writeReviewMarkdown(&b, r)
	for _, want := range []string{"exists in the Terraform state (1 resources)", "| **Delta** | unknown |", "No changes: the infrastructure matches the plan."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("markdown lacks %q\n%s", want, b.String())
		}
	}
}

func TestReviewJSONShape(t *testing.T) {
	plan, exact := gpuTaskPlan()
	r := buildReview(reviewInput{Cluster: "train", Plan: plan, Chosen: exact, TF: syntheticPlan(t, newClusterPlanJSON), PlanFile: "plan.tfplan"})
	var b bytes.Buffer
	if err := writeReviewJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cluster    string `json:"cluster"`
		Considered []struct {
			Infra  string  `json:"infra"`
			Cost   float64 `json:"hourly_cost"`
			Chosen bool    `json:"chosen"`
		} `json:"considered"`
		Changes []struct {
			Address string   `json:"address"`
			Actions []string `json:"actions"`
		} `json:"changes"`
		Summary         map[string]int `json:"summary"`
		HourlyCost      float64        `json:"hourly_cost"`
		HourlyCostDelta *float64       `json:"hourly_cost_delta"`
		Running         struct {
			Status string `json:"status"`
		} `json:"running"`
		Security []struct {
			Kind  string   `json:"kind"`
			Ports string   `json:"ports"`
			CIDRs []string `json:"cidrs"`
			Open  bool     `json:"open"`
		} `json:"security"`
		PlanFile string `json:"plan_file"`
		ApplyCmd string `json:"apply_command"`
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"considered", "changes", "summary", "hourly_cost", "hourly_cost_delta", "security", "plan_file"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if doc.Cluster != "train" || len(doc.Considered) != 2 || !doc.Considered[0].Chosen || doc.Considered[1].Chosen {
		t.Errorf("considered %+v", doc.Considered)
	}
	if len(doc.Changes) != 3 || doc.Changes[0].Address != "module.cluster.aws_instance.node[0]" || doc.Changes[0].Actions[0] != "create" {
		t.Errorf("changes %+v", doc.Changes)
	}
	if doc.Summary["add"] != 3 || doc.Summary["change"] != 0 || doc.Summary["destroy"] != 0 {
		t.Errorf("summary %v", doc.Summary)
	}
	if doc.HourlyCost != 1.836 || doc.HourlyCostDelta == nil || *doc.HourlyCostDelta != 1.836 || doc.Running.Status != "none" {
		t.Errorf("cost %v delta %v running %+v", doc.HourlyCost, doc.HourlyCostDelta, doc.Running)
	}
	kinds := []string{}
	for _, s := range doc.Security {
		kinds = append(kinds, s.Kind)
	}
	if strings.Join(kinds, ",") != "ssh,port,port,public_ip,spot" || doc.Security[1].Ports != "8080" || !doc.Security[1].Open || doc.Security[0].Open {
		t.Errorf("security %+v", doc.Security)
	}
	if doc.PlanFile != "plan.tfplan" || doc.ApplyCmd != "skyplan apply plan.tfplan" {
		t.Errorf("plan file %q, apply %q", doc.PlanFile, doc.ApplyCmd)
	}
}

func TestPlanMarkdownRefusesDryrunAndBadFormat(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	_, errOut, code := runCLI(t, "plan", "--dryrun", "-o", "markdown", "../examples/minimal.yaml", "--infra", "aws")
	if code != 1 || !strings.Contains(errOut, "-o markdown needs a Terraform plan") {
		t.Errorf("markdown with --dryrun: exit %d: %s", code, errOut)
	}
	out, errOut, code := runCLI(t, "plan", "-o", "yaml", "../examples/minimal.yaml")
	if code != 1 || out != "" || !strings.Contains(errOut, "table, json or markdown") {
		t.Errorf("bad format: exit %d: %s", code, errOut)
	}
}
