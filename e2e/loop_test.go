package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// gpuTask is a SkyPilot task as users write it: 2 spot T4 nodes on AWS,
// a workdir, a local file mount, a bucket created from a local directory
// and copied to every node, setup and run printing the node runtime
// variables. image_id is an AMI moto knows (it has no catalog AMIs).
const gpuTask = `name: train
num_nodes: 2
resources:
  infra: aws
  accelerators: T4:1
  use_spot: true
  image_id: ami-12c6146b
workdir: ./code
file_mounts:
  ~/conf/settings.txt: ./settings.txt
  ~/dataset:
    name: skyplan-e2e-dataset
    source: ./data
    mode: COPY
    persistent: false
setup: |
  echo "setup on rank $SKYPILOT_SETUP_NODE_RANK"
run: |
  echo "rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES ips=$(echo $SKYPILOT_NODE_IPS)"
  echo "workdir: $(cat hello.txt)"
  echo "mount: $(cat ~/conf/settings.txt)"
  echo "bucket: $(cat ~/dataset/shard-0.txt)"
`

// failingTask fits the same cluster; its run fails with exit code 7.
const failingTask = `name: train
num_nodes: 2
resources:
  infra: aws
  accelerators: T4:1
  use_spot: true
  image_id: ami-12c6146b
workdir: ./code
run: |
  echo "failing on rank $SKYPILOT_NODE_RANK"
  exit 7
`

func writeProject(t testing.TB, dir string) {
	mustWrite(t, filepath.Join(dir, "task.yaml"), gpuTask, 0o644)
	mustWrite(t, filepath.Join(dir, "fail.yaml"), failingTask, 0o644)
	mustWrite(t, filepath.Join(dir, "code", "hello.txt"), "hello from the workdir\n", 0o644)
	mustWrite(t, filepath.Join(dir, "settings.txt"), "lr=0.1\n", 0o644)
	mustWrite(t, filepath.Join(dir, "data", "shard-0.txt"), "bucket shard zero\n", 0o644)
}

// cheapestRegion is where the optimizer puts the task first (the fault goes there).
func cheapestRegion(t *testing.T, e *env) string {
	r := e.run("plan", "task.yaml", "--dryrun", "-o", "json")
	m := regexp.MustCompile(`"region":\s*"([a-z0-9-]+)"`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("plan --dryrun -o json: exit %d, no region", r.code)
	}
	return m[1]
}

type statusDoc struct {
	Clusters []struct {
		Name, Status, Region string
		Nodes                []struct {
			PrivateIP string `json:"private_ip"`
		}
	}
}

func TestApplyGPUTaskEndToEnd(t *testing.T) {
	e := newEnv(t, 2)
	writeProject(t, e.work)
	instanceCredentials(t, e)
	failed := cheapestRegion(t, e)
	e.proxy.Fail(failed, provisiontest.InsufficientInstanceCapacity, -1)

	r := e.run("apply", "task.yaml", "-c", "train", "-y")
	if r.code != 0 {
		t.Fatalf("apply exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "capacity error in AWS ("+failed) {
		t.Errorf("no capacity failover from %s in stderr", failed)
	}

	// The cluster landed elsewhere, on two spot instances.
	var st statusDoc
	s := e.run("status", "-o", "json")
	if err := json.Unmarshal([]byte(s.stdout), &st); err != nil || len(st.Clusters) != 1 {
		t.Fatalf("status -o json: %v", err)
	}
	c := st.Clusters[0]
	if c.Name != "train" || c.Status != "UP" || c.Region == "" || c.Region == failed || len(c.Nodes) != 2 {
		t.Fatalf("status: %+v (failed region %s)", c, failed)
	}
	if live := e.live(); len(live) != 1 || live[c.Region] != 2 {
		t.Fatalf("moto instances: %v, want 2 in %s", live, c.Region)
	}
	// Both carry the cluster's own instance profile (the bucket copy below
	// ran with the credentials a node gets from the metadata endpoint).
	profiled := 0
	for _, in := range e.moto.Instances(t, c.Region) {
		if in.State != "pending" && in.State != "running" {
			continue
		}
		if !strings.Contains(in.Profile, ":instance-profile/train-node-") {
			t.Errorf("instance %s has instance profile %q, want the cluster's train-node-…", in.ID, in.Profile)
		}
		profiled++
	}
	if profiled != 2 {
		t.Errorf("checked the instance profile of %d live instances, want 2", profiled)
	}

	// Each node's output, from the local per-node logs.
	ips := c.Nodes[0].PrivateIP + " " + c.Nodes[1].PrivateIP
	for rank, name := range []string{"rank0-head.log", "rank1-worker1.log"} {
		b, err := os.ReadFile(filepath.Join(e.home, "logs", "train", "1", name))
		if err != nil {
			t.Fatalf("local log: %v", err)
		}
		log := string(b)
		for _, want := range []string{
			"rank=" + string(rune('0'+rank)) + " nodes=2 ips=" + ips,
			"workdir: hello from the workdir", "mount: lr=0.1", "bucket: bucket shard zero",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, log)
			}
		}
	}
	if !strings.Contains(r.stderr, "setup on rank 1") {
		t.Errorf("setup output of rank 1 not streamed")
	}

	q := e.run("queue", "train")
	if q.code != 0 || !regexp.MustCompile(`(?m)^\s*1\s.*SUCCEEDED`).MatchString(q.stdout) {
		t.Errorf("queue does not show job 1 SUCCEEDED")
	}
	lg := e.run("logs", "train", "1")
	if lg.code != 0 || !strings.Contains(lg.stdout+lg.stderr, "rank=1 nodes=2") {
		t.Errorf("logs train 1 lacks rank 1's output")
	}

	// Re-apply a task that fits: no provisioning, a new job, whose failure
	// is apply's exit code.
	calls := e.proxy.Calls(c.Region)
	f := e.run("apply", "fail.yaml", "-c", "train", "-y")
	if f.code != 7 {
		t.Errorf("apply of a run that exits 7: exit %d", f.code)
	}
	if !strings.Contains(f.stderr, "reusing it") || e.proxy.Calls(c.Region) != calls {
		t.Errorf("re-apply provisioned again (RunInstances calls %d → %d)", calls, e.proxy.Calls(c.Region))
	}
	if q := e.run("queue", "train"); !regexp.MustCompile(`(?m)^\s*2\s.*FAILED`).MatchString(q.stdout) {
		t.Errorf("queue does not show job 2 FAILED")
	}

	// A task that does not fit is refused with SkyPilot's message.
	mustWrite(t, filepath.Join(e.work, "big.yaml"), strings.Replace(failingTask, "num_nodes: 2", "num_nodes: 3", 1), 0o644)
	if b := e.run("apply", "big.yaml", "-c", "train", "-y"); b.code == 0 || !strings.Contains(b.stderr, "Requested resources do not match the existing cluster") {
		t.Errorf("a 3-node task on the 2-node cluster was not refused")
	}

	if d := e.run("down", "train", "-y"); d.code != 0 {
		t.Fatalf("down exit %d", d.code)
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after down: %v", live)
	}
	cr := e.run("cost-report")
	if !strings.Contains(cr.stdout, "train") || !strings.Contains(cr.stdout, "TERMINATED") {
		t.Errorf("cost-report lacks the terminated launch")
	}
}

// launch --down tears the cluster down after the job, whatever its result, and
// apply still exits with the job's code; -i installs autostop on the head.
func TestApplyDownAfterFailingJob(t *testing.T) {
	e := newEnv(t, 1)
	mustWrite(t, filepath.Join(e.work, "fail.yaml"), `name: once
resources:
  infra: aws/us-east-1
  instance_type: m6i.large
  image_id: ami-12c6146b
run: |
  echo "about to fail"
  exit 7
`, 0o644)
	// `launch` is apply under SkyPilot's name.
	r := e.run("launch", "fail.yaml", "-c", "once", "-y", "--down", "-i", "5")
	if r.code != 7 {
		t.Errorf("apply --down of a run that exits 7: exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "about to fail") || !strings.Contains(r.stderr, "Cluster once torn down") {
		t.Errorf("job output or teardown missing from stderr")
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after apply --down: %v", live)
	}
	if st := e.run("status", "-o", "json"); !strings.Contains(st.stdout, `"clusters": []`) {
		t.Errorf("cluster still listed after apply --down")
	}
	b, err := os.ReadFile(filepath.Join(e.sshd.Nodes[0].Home, ".skyplan", "autostop.sh"))
	if err != nil || !strings.Contains(string(b), "idle 5 min") {
		t.Errorf("-i 5 did not install autostop on the head: %v\n%s", err, b)
	}
}

// instanceCredentials makes the nodes' aws CLI find no static keys, so what
// it does on a node (the bucket copy) runs with the credentials of the
// instance metadata endpoint, as on EC2 with an instance profile. moto serves
// that endpoint on its own port (/latest/meta-data/iam/security-credentials/);
// its credentials are fixed, not derived from the profile, so the profile's
// attachment is asserted separately from moto's DescribeInstances.
func instanceCredentials(t *testing.T, e *env) {
	t.Helper()
	writeNodeRC(t, e, "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_EC2_METADATA_DISABLED\n"+
		"export AWS_EC2_METADATA_SERVICE_ENDPOINT="+e.moto.URL+"/ AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent")
}
