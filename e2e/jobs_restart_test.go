package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/provision/provisiontest"
	"github.com/skyplan/skyplan/runner/sshdtest"
)

// killController kill -9s the daemon (its terraform children, if any, are
// orphaned as they would be on a real crash of the controller process).
func killController(t *testing.T, e *env) {
	t.Helper()
	st, err := controller.Probe(controller.FilesIn(e.home))
	if err != nil || !st.Running || st.PID <= 0 {
		t.Fatalf("no controller to kill: %+v %v", st, err)
	}
	syscall.Kill(st.PID, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if st, _ := controller.Probe(controller.FilesIn(e.home)); !st.Running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the controller did not die")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clusterInstances counts live moto instances per skyplan-cluster tag.
func (e *env) clusterInstances() map[string]int {
	out := map[string]int{}
	for _, r := range awsRegions {
		insts, err := describeInstances(e.moto.URL, r)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, in := range insts {
			if in.State != "running" && in.State != "pending" {
				continue
			}
			for _, tg := range in.Tags {
				if tg.Key == "skyplan-cluster" {
					out[tg.Value]++
				}
			}
		}
	}
	return out
}

// kill -9 of the controller while it launches, while the job runs and
// while it recovers; each time `jobs queue` starts a new controller, which
// must neither launch a second cluster for an attempt nor lose the job
// nor leak an instance.
func TestManagedJobSurvivesControllerKill(t *testing.T) {
	e := newEnv(t, 1)
	withJobsConfig(t, e, 60)
	mustWrite(t, filepath.Join(e.work, "job.yaml"), spotJob, 0o644)
	runInstances := make(chan string, 16)
	e.proxy.OnRunInstances(func(region, zone string) { runInstances <- region })
	id := launchJob(t, e, "job.yaml")

	// 1. During the launch (terraform is starting on attempt 1's cluster).
	// A kill inside the RunInstances window itself can orphan an instance
	// the Terraform state never recorded; the tag sweep (issue 18) is what
	// finds those, so this test kills before it.
	e.waitJob(id, time.Minute, "attempt 1 launching", func(j jobDoc) bool { return len(j.Attempts) == 1 })
	killController(t, e)
	j := e.job(id) // `jobs queue` restarts the controller
	if j.Status != "STARTING" {
		t.Fatalf("after kill -9 during launch: %s", j.Status)
	}
	j = e.waitJob(id, 5*time.Minute, "RUNNING", func(j jobDoc) bool { return j.Status == "RUNNING" || ended(j) })
	if j.Status != "RUNNING" || len(j.Attempts) != 1 {
		t.Fatalf("after the resumed launch: %+v", j)
	}
	if ci := e.clusterInstances(); len(ci) != 1 || ci[j.Attempts[0].Cluster] != 1 {
		t.Fatalf("live instances by cluster after the resumed launch: %v", ci)
	}

	// 2. While the job runs: the new controller adopts it; nothing new is
	// provisioned.
	drain(runInstances)
	killController(t, e)
	e.job(id)
	time.Sleep(5 * time.Second) // several polls of the new controller
	j = e.job(id)
	if j.Status != "RUNNING" || len(j.Attempts) != 1 || len(runInstances) != 0 {
		t.Fatalf("after kill -9 during the run: %s, %d attempts, %d RunInstances", j.Status, len(j.Attempts), len(runInstances))
	}

	// 3. During the recovery: kill once attempt 2 is recorded (attempt 1
	// being destroyed, attempt 2 launching).
	preempt(t, e, j.Region)
	e.waitJob(id, 2*time.Minute, "attempt 2 launching", func(j jobDoc) bool { return len(j.Attempts) == 2 })
	killController(t, e)
	e.job(id)
	j = e.waitJob(id, 6*time.Minute, "SUCCEEDED and cleaned up", ended)
	if j.Status != "SUCCEEDED" || len(j.Attempts) != 2 || j.Recoveries != 1 {
		t.Fatalf("job after three kills: %+v", j)
	}
	if ci := e.clusterInstances(); len(ci) != 0 {
		t.Fatalf("instances left: %v", ci)
	}
	l2 := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--attempt", "2")
	if !strings.Contains(l2.stdout, "finished on attempt 1") {
		t.Errorf("attempt 2's logs: %s", l2.stdout)
	}
}

func drain(c chan string) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// A head whose sshd hangs (sshdtest.Hang: SIGSTOP) for less than the confirmation
// window is not recovered: the cloud says the instance runs. Then a real
// preemption with no capacity anywhere keeps the job RECOVERING, and
// cancelling it leaves nothing behind.
func TestManagedJobHungNodeThenCancelDuringRecovery(t *testing.T) {
	e := newEnv(t, 1)
	withJobsConfig(t, e, 60)
	mustWrite(t, filepath.Join(e.work, "job.yaml"), spotJob, 0o644)
	id := launchJob(t, e, "job.yaml")
	j := e.waitJob(id, 4*time.Minute, "RUNNING", func(j jobDoc) bool { return j.Status == "RUNNING" })

	// Every sshd of the node stops, the one serving the controller's kept
	// connection included; the job's processes keep running.
	resume := e.sshd.Hang(0)
	time.Sleep(12 * time.Second) // > the 3 s poll timeout, < the 60 s window
	resume()
	time.Sleep(3 * time.Second)
	j = e.job(id)
	if j.Status != "RUNNING" || j.Recoveries != 0 || len(j.Attempts) != 1 {
		t.Fatalf("a hung sshd caused a recovery: %+v", j)
	}
	c := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--controller")
	if !strings.Contains(c.stdout, "did not answer") || !strings.Contains(c.stdout, "asking the cloud") {
		t.Errorf("the controller log does not show the failed polls checked with the cloud:\n%s", c.stdout)
	}

	for _, r := range awsRegions {
		e.proxy.Fail(r, provisiontest.InsufficientInstanceCapacity, -1)
	}
	preempt(t, e, j.Region)
	e.waitJob(id, time.Minute, "RECOVERING", func(j jobDoc) bool { return j.Status == "RECOVERING" })
	time.Sleep(5 * time.Second) // relaunches keep failing on capacity
	if r := e.run("jobs", "cancel", strconv.FormatInt(id, 10), "-y"); r.code != 0 {
		t.Fatalf("jobs cancel: exit %d %s", r.code, r.stderr)
	}
	// Two destroys under a loaded machine took over 4 minutes.
	j = e.waitJob(id, 8*time.Minute, "CANCELLED and cleaned up", ended)
	if j.Status != "CANCELLED" {
		t.Fatalf("job after cancel: %+v", j)
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after cancel: %v", live)
	}
	if r := e.run("jobs", "cancel", "99", "-y"); r.code == 0 || !strings.Contains(r.stderr, "No managed job 99") {
		t.Errorf("cancel of an unknown id: exit %d %s", r.code, r.stderr)
	}
}

// Restart semantics on an SSH node pool (no Terraform: fast): user-code
// failures restart up to max_restarts_on_errors, listed exit codes
// restart without counting.
func TestManagedJobRestartsOnSSHPool(t *testing.T) {
	if testing.Short() {
		t.Skip("acceptance test skipped in -short mode")
	}
	e := &env{t: t, home: t.TempDir(), work: t.TempDir()}
	sc := sshdtest.Start(t, 2)
	e.vars = []string{"SKYPLAN_HOME=" + e.home, "HOME=" + e.home}
	mustWrite(t, filepath.Join(e.home, "ssh_node_pools.yaml"), sc.PoolYAML("lab"), 0o600)
	mustWrite(t, filepath.Join(e.home, "config.yaml"), "", 0o644)
	withJobsConfig(t, e, 60)

	mustWrite(t, filepath.Join(e.work, "fail.yaml"), `name: flaky
resources:
  infra: ssh/lab
  job_recovery:
    max_restarts_on_errors: 2
run: |
  echo "run $SKYPLAN_RECOVERY_COUNT"
  exit 1
`, 0o644)
	id := launchJob(t, e, "fail.yaml")
	j := e.waitJob(id, 2*time.Minute, "FAILED", ended)
	if j.Status != "FAILED" || j.Restarts != 2 || len(j.Attempts) != 3 ||
		!strings.Contains(j.FailureReason, "exited with code 1 after 2 restart(s)") {
		t.Fatalf("max_restarts_on_errors 2: %+v", j)
	}

	mustWrite(t, filepath.Join(e.work, "code.yaml"), `name: coded
resources:
  infra: ssh/lab
  job_recovery:
    recover_on_exit_codes: [33]
run: |
  echo "run $SKYPLAN_RECOVERY_COUNT"
  if [ "$SKYPLAN_RECOVERY_COUNT" -lt 2 ]; then exit 33; fi
`, 0o644)
	id = launchJob(t, e, "code.yaml")
	j = e.waitJob(id, 2*time.Minute, "SUCCEEDED", ended)
	if j.Status != "SUCCEEDED" || j.Restarts != 0 || j.Recoveries != 2 {
		t.Fatalf("recover_on_exit_codes [33]: %+v", j)
	}
	for n := 1; n <= 3; n++ {
		l := e.run("jobs", "logs", strconv.FormatInt(id, 10), "--attempt", strconv.Itoa(n), "--no-follow")
		if want := "run " + strconv.Itoa(n-1); !strings.Contains(l.stdout, want) {
			t.Errorf("attempt %d logs lack %q: %s", n, want, l.stdout)
		}
	}

	// Without -d, launch streams the job's logs and exits with its result.
	mustWrite(t, filepath.Join(e.work, "hello.yaml"), "name: hello\nresources:\n  infra: ssh/lab\nrun: echo hello managed job $SKYPLAN_MANAGED_JOB_ID\n", 0o644)
	r := e.run("jobs", "launch", "-y", "hello.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "hello managed job 3") || !strings.Contains(r.stdout, "Managed job ID: 3") {
		t.Errorf("jobs launch (attached): exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mustWrite(t, filepath.Join(e.work, "bad.yaml"), "name: bad\nresources:\n  infra: ssh/lab\nrun: exit 5\n", 0o644)
	if r := e.run("jobs", "launch", "-y", "bad.yaml"); r.code == 0 || !strings.Contains(r.stderr, "FAILED") {
		t.Errorf("jobs launch of a failing run: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(e.home, "state.db")); err != nil {
		t.Fatal(err)
	}
}
