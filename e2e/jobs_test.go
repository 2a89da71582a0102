package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
)

// Managed jobs end to end: the real controller daemon (started detached by
// `skyplan jobs launch`, the test binary re-executed as skyplan), moto +
// terraform for the clusters, real sshd nodes as their machines.

// spotJob runs until it is preempted on its first attempt and finishes on
// any later one; SKYPLAN_RECOVERY_COUNT tells them apart.
const spotJob = `name: train
resources:
  infra: aws
  cpus: 2
  use_spot: true
  image_id: ami-12c6146b
run: |
  echo "attempt=$SKYPLAN_RECOVERY_COUNT task=$SKYPILOT_TASK_ID"
  if [ "$SKYPLAN_RECOVERY_COUNT" = 0 ]; then
    for i in $(seq 1 600); do echo "tick $i"; sleep 1; done
  fi
  echo "finished on attempt $SKYPLAN_RECOVERY_COUNT"
`

type jobDoc struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Status        string `json:"status"`
	Recoveries    int    `json:"recoveries"`
	Restarts      int    `json:"restarts"`
	Cloud         string `json:"cloud"`
	Region        string `json:"region"`
	Zone          string `json:"zone"`
	UseSpot       bool   `json:"use_spot"`
	FailureReason string `json:"failure_reason"`
	TaskID        string `json:"task_id"`
	Attempts      []struct {
		N       int                `json:"attempt"`
		Cluster string             `json:"cluster"`
		Region  string             `json:"region"`
		Cleaned bool               `json:"cleaned"`
		Reason  string             `json:"end_reason"`
		Phases  map[string]float64 `json:"phase_seconds"`
		Running *time.Time         `json:"running_at"`
	} `json:"attempts"`
}

// withJobsConfig makes the controller poll every second and retry
// launches after 2 s; the daemon is stopped when the test ends.
func withJobsConfig(t testing.TB, e *env, unreachable int) {
	f := filepath.Join(e.home, "config.yaml")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf("jobs:\n  poll_seconds: 1\n  retry_gap_seconds: 2\n  unreachable_seconds: %d\n", unreachable)
	mustWrite(t, f, string(b)+extra, 0o644)
	t.Cleanup(func() { stopController(t, e) })
}

func stopController(t testing.TB, e *env) {
	files := controller.FilesIn(e.home)
	if err := controller.Stop(files, 2*time.Minute); err != nil {
		t.Errorf("stopping the controller: %v", err)
	}
	if t.Failed() {
		if b, err := os.ReadFile(files.Log()); err == nil {
			t.Logf("controller log:\n%s", tail(string(b), 6000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (e *env) job(id int64) jobDoc {
	e.t.Helper()
	r := e.run("jobs", "queue", "-o", "json")
	var doc struct{ Jobs []jobDoc }
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil {
		e.t.Fatalf("jobs queue -o json: exit %d: %s", r.code, r.stdout)
	}
	for _, j := range doc.Jobs {
		if j.ID == id {
			return j
		}
	}
	e.t.Fatalf("job %d not in the queue", id)
	return jobDoc{}
}

// waitJob polls the queue until cond holds, failing after within.
func (e *env) waitJob(id int64, within time.Duration, what string, cond func(jobDoc) bool) jobDoc {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		j := e.job(id)
		if cond(j) {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %d: %s not reached within %s; it is %s (%s)", id, what, within, j.Status, j.FailureReason)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func terminal(status string) bool {
	switch status {
	case "PENDING", "STARTING", "RUNNING", "RECOVERING", "CANCELLING":
		return false
	}
	return true
}

// ended: terminal, and every attempt's cluster destroyed.
func ended(j jobDoc) bool {
	if !terminal(j.Status) {
		return false
	}
	for _, a := range j.Attempts {
		if !a.Cleaned {
			return false
		}
	}
	return true
}

func launchJob(t testing.TB, e *env, args ...string) int64 {
	t.Helper()
	r := e.run(append([]string{"jobs", "launch", "-y", "-d"}, args...)...)
	m := regexp.MustCompile(`Managed job ID: (\d+)`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("jobs launch: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// preempt does what the cloud does to a spot instance: terminate it (moto)
// and kill the machine with every process on it (its sshd node, restarted
// empty so the next instance mapped to it is a fresh machine).
func preempt(t testing.TB, e *env, region string) {
	t.Helper()
	n := 0
	for _, in := range e.moto.Instances(t, region) {
		if in.State == "running" || in.State == "pending" {
			e.moto.Terminate(t, region, in.ID)
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d live instances in %s to preempt, want 1", n, region)
	}
	e.sshd.RestartWithNewHostKey(0)
	os.RemoveAll(filepath.Join(e.sshd.Nodes[0].Home, ".skyplan", "jobs"))
}

func TestManagedJobRecoversFromPreemption(t *testing.T) {
	e := newEnv(t, 1)
	withJobsConfig(t, e, 60)
	mustWrite(t, filepath.Join(e.work, "job.yaml"), spotJob, 0o644)
	id := launchJob(t, e, "job.yaml")
	j := e.waitJob(id, 4*time.Minute, "RUNNING", func(j jobDoc) bool { return j.Status == "RUNNING" })
	first := j.Region
	if j.Cloud != "aws" || !j.UseSpot || first == "" || len(j.Attempts) != 1 {
		t.Fatalf("attempt 1: %+v", j)
	}
	// Let the run print something before its machine dies.
	time.Sleep(2 * time.Second)
	preempt(t, e, first)
	preempted := time.Now()
	e.waitJob(id, time.Minute, "RECOVERING", func(j jobDoc) bool { return j.Status == "RECOVERING" })
	toRecovering := time.Since(preempted)
	// Attempt 2 runs for a second or two: a terminal state also means it ran.
	e.waitJob(id, 4*time.Minute, "RUNNING again", func(j jobDoc) bool { return j.Status == "RUNNING" || terminal(j.Status) })
	toRunning := time.Since(preempted)
	// Two destroys under a loaded machine took over 4 minutes.
	j = e.waitJob(id, 8*time.Minute, "SUCCEEDED and cleaned up", ended)
	if j.Status != "SUCCEEDED" || j.Recoveries != 1 || len(j.Attempts) != 2 {
		t.Fatalf("job after recovery: %+v", j)
	}
	if a := j.Attempts[1]; a.Region == first || a.Region == "" {
		t.Errorf("attempt 2 relaunched in %q; the preempted region %s must be blocked", a.Region, first)
	}
	if !strings.Contains(j.Attempts[0].Reason, "preempted") {
		t.Errorf("attempt 1 ended with %q", j.Attempts[0].Reason)
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after the job: %v", live)
	}
	l1 := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--attempt", "1")
	l2 := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--attempt", "2")
	if l1.code != 0 || !strings.Contains(l1.stdout, "attempt=0 task="+j.TaskID) || !strings.Contains(l1.stdout, "tick 1") {
		t.Errorf("jobs logs --attempt 1 lacks the first attempt's output:\n%s", l1.stdout)
	}
	if l2.code != 0 || !strings.Contains(l2.stdout, "attempt=1 task="+j.TaskID) || !strings.Contains(l2.stdout, "finished on attempt 1") {
		t.Errorf("jobs logs --attempt 2 lacks the second attempt's output:\n%s", l2.stdout)
	}
	c := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--controller")
	if !strings.Contains(c.stdout, "the cloud confirms the cluster is gone (asked via instance states)") {
		t.Errorf("the controller recovered without EC2's confirmation (DescribeInstances, not a Terraform refresh):\n%s", c.stdout)
	}
	t.Logf("preemption → RECOVERING %s, → RUNNING %s; phases: attempt 1 %v, attempt 2 %v",
		toRecovering.Round(time.Millisecond), toRunning.Round(time.Millisecond), j.Attempts[0].Phases, j.Attempts[1].Phases)
}
