package compiler

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

// motoTerraform returns terraform and an environment whose AWS provider
// reaches a fresh moto_server (started for this test) through the offline
// provider mirror.
func motoTerraform(t *testing.T) (bin string, env []string) {
	t.Helper()
	bin = terraformBin(t)
	mirror := awsMirror()
	if mirror == "" {
		t.Skip("no hashicorp/aws provider mirror found")
	}
	url := startMoto(t)
	env = append([]string{}, tfEnv(t, mirror)...)
	for i, e := range env {
		if strings.HasPrefix(e, "AWS_ENDPOINT_URL=") {
			env[i] = "AWS_ENDPOINT_URL=" + url
		}
	}
	return bin, env
}

// startMoto runs moto_server on a free loopback port until the test ends.
func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// motoAMI is one of the images moto preloads in every region.
const motoAMI = "ami-03cf127a"

// TestAWSApplyOnMoto applies generated roots unmodified (credentials and
// endpoint come from the environment only) against moto, reads the root
// outputs the provisioner relies on, and destroys everything again.
func TestAWSApplyOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("applies against moto")
	}
	bin, env := motoTerraform(t)

	in := goldenCases()["aws-buckets"]
	in.Task.NumNodes = 2
	in.Placement.NumNodes = 2
	in.Placement.UseSpot = true
	in.Placement.Request.Ports = []task.PortRange{{From: 8888, To: 8888}}
	in.Placement.Request.ImageID = &task.ImageID{Default: motoAMI}
	in.Placement.Request.Autostop = &task.Autostop{Enabled: true, IdleMinutes: 5, Down: true}
	in.DisablePlacementGroup = true // moto lacks CreatePlacementGroup
	m, ds := Compile(in)
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	dir := t.TempDir()
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	bucketsDir := filepath.Join(dir, "buckets")
	for _, root := range []string{dir, bucketsDir} {
		runTF(t, bin, root, env, "init", "-input=false", "-no-color")
		root := root
		t.Cleanup(func() {
			cmd := exec.Command(bin, "destroy", "-auto-approve", "-input=false", "-no-color")
			cmd.Dir, cmd.Env = root, env
			cmd.Run()
		})
		runTF(t, bin, root, env, "apply", "-auto-approve", "-input=false", "-no-color")
	}

	var nodes []struct {
		Rank       int    `json:"rank"`
		InstanceID string `json:"instance_id"`
		PrivateIP  string `json:"private_ip"`
		PublicIP   string `json:"public_ip"`
		Zone       string `json:"zone"`
		SSHUser    string `json:"ssh_user"`
	}
	if err := json.Unmarshal([]byte(runTF(t, bin, dir, env, "output", "-json", "nodes")), &nodes); err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("want 2 nodes, got %+v", nodes)
	}
	// The placement priced us-east-1a, which the catalog's account calls
	// use1-az2; moto's account names use1-az2 us-east-1c, so the nodes must
	// be there (placed by zone ID), and the root says so.
	const motoZone = "us-east-1c"
	for i, n := range nodes {
		if n.Rank != i || !strings.HasPrefix(n.InstanceID, "i-") || n.PrivateIP == "" || n.PublicIP == "" || n.Zone != motoZone || n.SSHUser != "ubuntu" {
			t.Errorf("node %d: %+v (want zone %s, moto's name of use1-az2)", i, n, motoZone)
		}
	}
	if z := strings.TrimSpace(runTF(t, bin, dir, env, "output", "-raw", "zone")); z != motoZone {
		t.Errorf("output zone = %q, want %s", z, motoZone)
	}
	var buckets, kept []string
	json.Unmarshal([]byte(runTF(t, bin, dir, env, "output", "-json", "buckets")), &buckets)
	json.Unmarshal([]byte(runTF(t, bin, bucketsDir, env, "output", "-json", "buckets")), &kept)
	if fmt.Sprint(buckets) != "[skyplan-test-scratch]" || fmt.Sprint(kept) != "[skyplan-test-ckpt]" {
		t.Errorf("buckets: cluster %v, persistent %v", buckets, kept)
	}

	// Tags status/down rely on, read back from the state.
	var state struct {
		Values struct {
			RootModule struct {
				ChildModules []struct {
					Resources []struct {
						Address string         `json:"address"`
						Values  map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"child_modules"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(runTF(t, bin, dir, env, "show", "-json")), &state); err != nil {
		t.Fatal(err)
	}
	seen := 0
	var policy string
	ids := map[string]string{} // resource address -> id, for the outputs below
	for _, cm := range state.Values.RootModule.ChildModules {
		for _, r := range cm.Resources {
			ids[r.Address], _ = r.Values["id"].(string)
			switch r.Address {
			case "module.cluster.aws_key_pair.cluster":
				ids[r.Address], _ = r.Values["key_pair_id"].(string)
			case "module.cluster.aws_security_group.cluster":
				if name, _ := r.Values["name"].(string); !strings.HasPrefix(name, "buckets-sg-") {
					t.Errorf("security group name %q, want the name_prefix buckets-sg-", name)
				}
			case "module.cluster.aws_iam_instance_profile.node":
				if role, _ := r.Values["role"].(string); !strings.HasPrefix(role, "buckets-node-") || r.Values["tags_all"].(map[string]any)["skyplan-cluster"] != "buckets" {
					t.Errorf("instance profile: %v", r.Values)
				}
			case "module.cluster.aws_iam_role_policy.node[0]":
				policy, _ = r.Values["policy"].(string)
			}
			if !strings.HasPrefix(r.Address, "module.cluster.aws_instance.node[") {
				continue
			}
			seen++
			tags, _ := r.Values["tags_all"].(map[string]any)
			rank := strings.TrimSuffix(strings.TrimPrefix(r.Address, "module.cluster.aws_instance.node["), "]")
			if p, _ := r.Values["iam_instance_profile"].(string); !strings.HasPrefix(p, "buckets-node-") {
				t.Errorf("%s: instance profile %v, want the cluster's buckets-node", r.Address, r.Values["iam_instance_profile"])
			}
			if tags["skyplan-cluster"] != "buckets" || tags["skyplan-node-rank"] != rank || tags["skyplan-head"] != fmt.Sprint(rank == "0") {
				t.Errorf("%s tags: %v", r.Address, tags)
			}
		}
	}
	if seen != 2 {
		t.Errorf("state has %d instances", seen)
	}
	// The root outputs the IDs a reviewer or a wrapping module needs.
	var network map[string]string
	if err := json.Unmarshal([]byte(runTF(t, bin, dir, env, "output", "-json", "network")), &network); err != nil {
		t.Fatal(err)
	}
	for out, addr := range map[string]string{
		"network.vpc_id":    "module.cluster.aws_vpc.cluster[0]",
		"network.subnet_id": "module.cluster.aws_subnet.cluster[0]",
		"security_group_id": "module.cluster.aws_security_group.cluster",
		"key_pair_id":       "module.cluster.aws_key_pair.cluster",
	} {
		got := network[strings.TrimPrefix(out, "network.")]
		if !strings.HasPrefix(out, "network.") {
			got = strings.Trim(strings.TrimSpace(runTF(t, bin, dir, env, "output", "-json", out)), `"`)
		}
		if got == "" || got != ids[addr] {
			t.Errorf("output %s = %q, want %s's id %q", out, got, addr, ids[addr])
		}
	}
	// The policy moto stored: this cluster's three buckets, terminate (autostop
	// with down) only on instances tagged with this cluster, no stop.
	for _, want := range []string{"arn:aws:s3:::skyplan-test-scratch/*", "arn:aws:s3:::skyplan-test-ckpt/*", "arn:aws:s3:::someone-elses-bucket", "ec2:TerminateInstances", `"aws:ResourceTag/skyplan-cluster":"buckets"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("node policy lacks %s:\n%s", want, policy)
		}
	}
	if strings.Contains(policy, "ec2:StopInstances") || strings.Contains(policy, "someone-elses-bucket/*\",\"arn:aws:s3:::skyplan") {
		t.Errorf("node policy grants more than asked:\n%s", policy)
	}

	// Destroying the cluster keeps the persistent bucket, and destroying
	// its own root is refused (prevent_destroy on the bucket and its key).
	runTF(t, bin, dir, env, "destroy", "-auto-approve", "-input=false", "-no-color")
	if out := runTF(t, bin, bucketsDir, env, "state", "list"); !strings.Contains(out, "aws_s3_bucket.persistent[\"skyplan-test-ckpt\"]") || !strings.Contains(out, "aws_kms_key.persistent[0]") {
		t.Errorf("persistent bucket or its key gone from its state:\n%s", out)
	}
	cmd := exec.Command(bin, "destroy", "-auto-approve", "-input=false", "-no-color")
	cmd.Dir, cmd.Env = bucketsDir, env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "prevent_destroy") {
		t.Errorf("terraform destroy of the persistent buckets root: %v, want a prevent_destroy refusal:\n%s", err, out)
	}
	if out := runTF(t, bin, bucketsDir, env, "state", "list"); !strings.Contains(out, "aws_s3_bucket.persistent[\"skyplan-test-ckpt\"]") {
		t.Errorf("persistent bucket gone after the refused destroy:\n%s", out)
	}
	// The cleanup's destroy would be refused too: hand the bucket over.
	runTF(t, bin, bucketsDir, env, "state", "rm", "module.buckets")
}

// TestAWSExistingVPCOnMoto plans a cluster into a VPC found by its Name tag
// (config vpc_name/subnet_name): the data lookups must resolve and no
// network may be created.
func TestAWSExistingVPCOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform against moto")
	}
	bin, env := motoTerraform(t)
	// The pre-existing network, created by a separate root.
	netDir := t.TempDir()
	network := `provider "aws" {
  region = "us-east-1"
}
resource "aws_vpc" "team" {
  cidr_block = "10.20.0.0/16"
  tags       = { Name = "team-vpc" }
}
resource "aws_subnet" "a" {
  vpc_id               = aws_vpc.team.id
  cidr_block           = "10.20.1.0/24"
  availability_zone_id = "use1-az2"
  tags                 = { Name = "team-a" }
}
resource "aws_subnet" "a2" {
  vpc_id               = aws_vpc.team.id
  cidr_block           = "10.20.2.0/24"
  availability_zone_id = "use1-az2"
  tags                 = { Name = "team-a2" }
}
# The catalog's name of the priced zone, which is another zone in moto's
# account (use1-az6): the module must not pick it.
resource "aws_subnet" "by_name" {
  vpc_id            = aws_vpc.team.id
  cidr_block        = "10.20.3.0/24"
  availability_zone = "us-east-1a"
  tags              = { Name = "team-a2" }
}
`
	if err := os.WriteFile(filepath.Join(netDir, "main.tf"), []byte(network), 0o644); err != nil {
		t.Fatal(err)
	}
	runTF(t, bin, netDir, env, "init", "-input=false", "-no-color")
	runTF(t, bin, netDir, env, "apply", "-auto-approve", "-input=false", "-no-color")

	in := goldenCases()["aws-cpu-default"]
	in.Placement.Request.ImageID = &task.ImageID{Default: motoAMI}
	in.VPCName, in.SubnetName = "team-vpc", "team-a2"
	m, ds := Compile(in)
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	dir := t.TempDir()
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	runTF(t, bin, dir, env, "init", "-input=false", "-no-color")
	out := runTF(t, bin, dir, env, "plan", "-input=false", "-no-color", "-out=plan.tfplan")
	if strings.Contains(out, "aws_vpc.cluster") || strings.Contains(out, "aws_subnet.cluster") {
		t.Errorf("plan creates a network although vpc_name is set:\n%s", out)
	}
	var plan struct {
		PlannedValues struct {
			RootModule struct {
				ChildModules []struct {
					Resources []struct {
						Address string         `json:"address"`
						Values  map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"child_modules"`
			} `json:"root_module"`
		} `json:"planned_values"`
	}
	if err := json.Unmarshal([]byte(runTF(t, bin, dir, env, "show", "-json", "plan.tfplan")), &plan); err != nil {
		t.Fatal(err)
	}
	subnets := map[string]bool{}
	for _, cm := range plan.PlannedValues.RootModule.ChildModules {
		for _, r := range cm.Resources {
			if r.Address == "module.cluster.aws_instance.node[0]" {
				subnets[fmt.Sprint(r.Values["subnet_id"])] = true
			}
		}
	}
	state := runTF(t, bin, netDir, env, "state", "show", "-no-color", "aws_subnet.a2")
	for id := range subnets {
		if !strings.Contains(state, `"`+id+`"`) {
			t.Errorf("node planned into subnet %s, want team-a2:\n%s", id, state)
		}
	}
	if len(subnets) != 1 {
		t.Errorf("node subnet not planned: %v", subnets)
	}
}
