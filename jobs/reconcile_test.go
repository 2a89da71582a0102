package jobs

import (
	"context"
	"errors"
	"fmt"
	"github.com/skyplan/skyplan/task"
	"os"
	"strings"
	"testing"
	"time"
)

func TestJobSucceedsAndLeavesNothing(t *testing.T) {
	h := newHarness(t)
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	j := h.drive(w, 200, nil)
	if j.Status != Succeeded || j.Recoveries != 0 || j.EndedAt == nil || j.StartedAt == nil {
		t.Fatalf("job = %+v", j)
	}
	if live := h.fake.liveNames(); len(live) != 0 {
		t.Fatalf("clusters left: %v", live)
	}
	atts, _ := h.store.Attempts(id)
	if len(atts) != 1 || !atts[0].Cleaned || atts[0].Region != "us-east-1" || atts[0].HeadJob != 1 {
		t.Fatalf("attempts = %+v", atts[0])
	}
	b, err := os.ReadFile(AttemptLog(h.home, id, 1))
	if err != nil || !strings.Contains(string(b), "output of job 1") {
		t.Fatalf("attempt log: %v %q", err, b)
	}
	// Every transition was recorded, in SkyPilot's order.
	evs, _ := h.store.Events(id)
	var seq []string
	for _, e := range evs {
		seq = append(seq, string(e.Status))
	}
	if got := strings.Join(seq, ","); got != "PENDING,STARTING,RUNNING,SUCCEEDED" {
		t.Errorf("transitions = %s", got)
	}
}

func TestPreemptionRecoversInAnotherRegionWithinTwoPolls(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	first := h.fake.cluster(ClusterName(id, 1))
	first.gone, first.unreachable = true, true // the cloud took the spot instance
	preempted := h.clk.Now()
	j := h.drive(w, 10, is(Recovering))
	if d := h.clk.Now().Sub(preempted); d > 2*time.Second {
		t.Errorf("RECOVERING %s after the preemption; want ≤ 2 poll intervals (1 s)", d)
	}
	if !strings.Contains(j.FailureReason, "preempted") {
		t.Errorf("reason = %q", j.FailureReason)
	}
	j = h.drive(w, 40, is(Running))
	atts, _ := h.store.Attempts(id)
	if len(atts) != 2 || atts[1].Region == atts[0].Region || !atts[0].Preempted {
		t.Fatalf("attempts: %+v / %+v", atts[0], atts[1])
	}
	if len(atts[1].Blocked) != 1 || atts[1].Blocked[0].Region != "us-east-1" {
		t.Errorf("attempt 2 blocked %v, want us-east-1", atts[1].Blocked)
	}
	if j.Recoveries != 1 || j.Restarts != 0 {
		t.Errorf("recoveries %d restarts %d", j.Recoveries, j.Restarts)
	}
	j = h.drive(w, 2000, nil)
	if j.Status != Succeeded || len(h.fake.liveNames()) != 0 {
		t.Fatalf("job %s, live %v", j.Status, h.fake.liveNames())
	}
	atts, _ = h.store.Attempts(id)
	if !atts[0].Cleaned || !atts[1].Cleaned {
		t.Errorf("attempts not marked destroyed: %v %v", atts[0].Cleaned, atts[1].Cleaned)
	}
	for _, k := range []string{"detect", "teardown", "apply", "setup"} {
		if _, ok := atts[1].Phases[k]; !ok && k != "detect" && k != "teardown" {
			t.Errorf("attempt 2 lacks phase %s: %v", k, atts[1].Phases)
		}
	}
	if _, ok := atts[0].Phases["teardown"]; !ok {
		t.Errorf("attempt 1 lacks its teardown time: %v", atts[0].Phases)
	}
}

func TestPinnedRegionIsNotBlocked(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	id, _ := h.store.Add("pinned", Spec{Task: &task.Task{Name: "pinned", NumNodes: 1}, Recovery: Recovery{Strategy: EagerNextRegion}, PinnedRegion: true}, h.clk.Now())
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.fake.cluster(ClusterName(id, 1)).gone = true
	h.drive(w, 10, is(Recovering))
	h.drive(w, 40, is(Running))
	atts, _ := h.store.Attempts(id)
	if len(atts[1].Blocked) != 0 || atts[1].Region != atts[0].Region {
		t.Fatalf("pinned job moved/blocked: %+v", atts[1])
	}
}

func TestFailoverTriesTheSameRegionFirst(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	h.fake.regions = []string{"us-west-2", "us-east-1"}
	id := h.submit(Recovery{Strategy: Failover})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.fake.cluster(ClusterName(id, 1)).gone = true
	h.drive(w, 40, func(j *Job) bool { return j.Status == Running && j.Recoveries == 1 })
	atts, _ := h.store.Attempts(id)
	if atts[1].SameRegionFirst == nil || atts[1].Region != "us-west-2" || len(atts[1].Blocked) != 0 {
		t.Fatalf("FAILOVER attempt 2: %+v", atts[1])
	}
}

// A head that does not answer while the cloud says its instance runs (a
// hung sshd, a partition) is not a preemption: nothing is torn down.
func TestUnreachableHeadWithHealthyCloudIsNotRecovered(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	c := h.fake.cluster(ClusterName(id, 1))
	c.unreachable = true
	for i := 0; i < 20; i++ { // 20 s < the 30 s grace
		wait, _, err := w.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h.clk.Advance(wait)
	}
	c.unreachable = false
	j := h.drive(w, 2000, nil)
	if j.Status != Succeeded || j.Recoveries != 0 || len(h.fake.launches) != 1 || len(h.fake.downs) != 1 {
		t.Fatalf("job %s recoveries %d launches %d downs %v", j.Status, j.Recoveries, len(h.fake.launches), h.fake.downs)
	}
	b, _ := os.ReadFile(ControllerLog(h.home, id))
	if !strings.Contains(string(b), "the cloud reports every instance running") {
		t.Errorf("controller log does not explain the wait:\n%s", b)
	}
}

// A head silent for longer than the grace is given up as hung.
func TestHungHeadBeyondGraceIsRecovered(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.fake.cluster(ClusterName(id, 1)).unreachable = true
	start := h.clk.Now()
	h.drive(w, 100, is(Recovering))
	if d := h.clk.Now().Sub(start); d < 30*time.Second {
		t.Fatalf("recovered after %s, before the 30 s grace", d)
	}
	h.drive(w, 40, is(Running))
	if live := h.fake.liveNames(); len(live) != 1 || live[0] != ClusterName(id, 2) {
		t.Fatalf("live clusters %v; the hung attempt must be destroyed", live)
	}
}

func TestMaxRestartsOnErrors(t *testing.T) {
	h := newHarness(t)
	h.fake.outcome = func(string, int) (string, int) { return "FAILED", 1 }
	id := h.submit(Recovery{MaxRestartsOnErrors: 2})
	j := h.drive(h.worker(h.ctl, id), 2000, nil)
	if j.Status != Failed || j.Restarts != 2 || j.Recoveries != 2 {
		t.Fatalf("job %s restarts %d recoveries %d", j.Status, j.Restarts, j.Recoveries)
	}
	if !strings.Contains(j.FailureReason, "exited with code 1 after 2 restart(s)") {
		t.Errorf("reason = %q", j.FailureReason)
	}
	atts, _ := h.store.Attempts(id)
	if len(atts) != 3 || len(h.fake.liveNames()) != 0 {
		t.Fatalf("%d attempts, live %v", len(atts), h.fake.liveNames())
	}
	// A user-code failure is no reason to leave a region.
	if len(atts[2].Blocked) != 0 {
		t.Errorf("restart blocked %v", atts[2].Blocked)
	}
}

func TestRecoverOnExitCodesIsNotCounted(t *testing.T) {
	h := newHarness(t)
	h.fake.outcome = func(_ string, submit int) (string, int) {
		if submit <= 2 {
			return "FAILED", 33
		}
		return "SUCCEEDED", 0
	}
	id := h.submit(Recovery{RecoverOnExitCodes: []int{33}})
	j := h.drive(h.worker(h.ctl, id), 2000, nil)
	if j.Status != Succeeded || j.Restarts != 0 || j.Recoveries != 2 {
		t.Fatalf("job %s restarts %d recoveries %d (%s)", j.Status, j.Restarts, j.Recoveries, j.FailureReason)
	}
}

func TestSetupFailureWithoutRestartsIsFailedSetup(t *testing.T) {
	h := newHarness(t)
	h.fake.outcome = func(string, int) (string, int) { return "FAILED_SETUP", 2 }
	id := h.submit(Recovery{})
	j := h.drive(h.worker(h.ctl, id), 2000, nil)
	if j.Status != FailedSetup || !strings.Contains(j.FailureReason, "setup exited with code 2") {
		t.Fatalf("job %s (%s)", j.Status, j.FailureReason)
	}
}

func TestCancelDuringRecovery(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 10 * time.Minute
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.fake.cluster(ClusterName(id, 1)).gone = true
	// The relaunch finds no capacity anywhere: the job stays RECOVERING.
	h.fake.launchErr = func(req LaunchRequest, n int) error {
		if n > 1 {
			return LaunchError(ErrNoResource, errors.New("InsufficientInstanceCapacity"))
		}
		return nil
	}
	h.drive(w, 10, is(Recovering))
	for i := 0; i < 5; i++ {
		wait, _, _ := w.Step(context.Background())
		h.clk.Advance(wait)
	}
	if ok, err := h.store.RequestCancel(id); !ok || err != nil {
		t.Fatalf("RequestCancel = %v, %v", ok, err)
	}
	j := h.drive(w, 20, nil)
	if j.Status != Cancelled || len(h.fake.liveNames()) != 0 {
		t.Fatalf("job %s, live %v", j.Status, h.fake.liveNames())
	}
	if ok, _ := h.store.RequestCancel(id); ok {
		t.Error("a cancelled job accepted another cancel")
	}
}

func TestFirstLaunchWithoutResourcesFails(t *testing.T) {
	h := newHarness(t)
	h.fake.launchErr = func(LaunchRequest, int) error {
		return LaunchError(ErrNoResource, errors.New("every placement refused: InsufficientInstanceCapacity"))
	}
	id := h.submit(Recovery{})
	j := h.drive(h.worker(h.ctl, id), 20, nil)
	if j.Status != FailedNoResource || !strings.Contains(j.FailureReason, "InsufficientInstanceCapacity") {
		t.Fatalf("job %s (%s)", j.Status, j.FailureReason)
	}
	h.fake.launchErr = func(LaunchRequest, int) error {
		return LaunchError(ErrPrecheck, errors.New("no AWS credentials"))
	}
	id = h.submit(Recovery{})
	j = h.drive(h.worker(h.ctl, id), 20, nil)
	if j.Status != FailedPrechecks || !strings.Contains(j.FailureReason, "credentials") {
		t.Fatalf("job %s (%s)", j.Status, j.FailureReason)
	}
}

// kill -9 at every pass: a fresh worker (a restarted daemon) after each
// step still finishes the job with one cluster per attempt, one head job
// per attempt and nothing left.
func TestRestartAfterEveryStepNeverDuplicates(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = 5 * time.Second
	id := h.submit(Recovery{})
	preempted := false
	for i := 0; i < 400; i++ {
		w := h.worker(h.newController(), id) // everything in memory is lost
		wait, done, err := w.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		h.clk.Advance(wait)
		j, _ := h.store.Get(id)
		if j.Status == Running && !preempted {
			preempted = true
			h.fake.cluster(ClusterName(id, 1)).gone = true
		}
		// At most the current attempt's cluster and the previous one's,
		// being destroyed beside it.
		if live := h.fake.liveNames(); len(live) > 2 {
			t.Fatalf("step %d: live clusters %v", i, live)
		}
	}
	j, _ := h.store.Get(id)
	if j.Status != Succeeded || j.Recoveries != 1 {
		t.Fatalf("job %s recoveries %d (%s)", j.Status, j.Recoveries, j.FailureReason)
	}
	if h.fake.submits != 2 || len(h.fake.liveNames()) != 0 {
		t.Fatalf("submits %d (want one per attempt), live %v", h.fake.submits, h.fake.liveNames())
	}
}

// A crash after the head accepted the job but before the controller
// recorded it: the restarted controller finds the job by name.
func TestRestartBetweenSubmitAndRecordFindsTheJob(t *testing.T) {
	h := newHarness(t)
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, func(j *Job) bool {
		atts, _ := h.store.Attempts(id)
		return len(atts) == 1 && atts[0].Phase == PhaseSubmitting
	})
	j, _ := h.store.Get(id)
	// The old controller submitted, then died before writing RUNNING.
	if _, err := h.fake.Submit(context.Background(), SubmitRequest{Cluster: ClusterName(id, 1), JobName: HeadJobName(j, 1)}); err != nil {
		t.Fatal(err)
	}
	j = h.drive(h.worker(h.newController(), id), 200, nil)
	if j.Status != Succeeded || h.fake.submits != 1 {
		t.Fatalf("job %s, %d submits", j.Status, h.fake.submits)
	}
}

var _ = fmt.Sprint

// A machine going down kills the job's processes seconds before the cloud
// lists it as terminated: the head reports FAILED without an exit code.
// That is not taken for the user's failure while the cloud has not
// answered; once it confirms the loss, the job recovers.
func TestFailedWithoutExitCodeWaitsForTheCloud(t *testing.T) {
	h := newHarness(t)
	h.fake.runFor = time.Minute
	h.fake.outcome = func(_ string, submit int) (string, int) {
		if submit == 1 {
			return "FAILED", -1
		}
		return "SUCCEEDED", 0
	}
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.drive(w, 200, func(j *Job) bool { return !w.unconfirmedSince.IsZero() })
	for i := 0; i < 10; i++ { // about 10 s, inside the 30 s grace
		wait, _, err := w.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		h.clk.Advance(wait)
	}
	j, _ := h.store.Get(id)
	if j.Status != Running {
		t.Fatalf("the unconfirmed failure ended the job: %s (%s)", j.Status, j.FailureReason)
	}
	h.fake.cluster(ClusterName(id, 1)).gone = true
	j = h.drive(w, 2000, nil)
	if j.Status != Succeeded || j.Recoveries != 1 || j.Restarts != 0 {
		t.Fatalf("job %s (%s) recoveries %d restarts %d", j.Status, j.FailureReason, j.Recoveries, j.Restarts)
	}
	atts, _ := h.store.Attempts(id)
	if !atts[0].Preempted {
		t.Fatalf("attempt 1 not recorded as preempted: %+v", atts[0])
	}
}

// The head reports FAILED with an exit code (137: a worker killed as its
// machine went down) while the cloud cannot be asked: the controller asks
// again rather than calling it the user's failure, and recovers once the
// cloud answers that the instance is gone.
func TestFailedWhileTheCloudCannotBeAskedIsRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.outcome = func(_ string, submit int) (string, int) {
		if submit == 1 {
			return "FAILED", 137
		}
		return "SUCCEEDED", 0
	}
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.fake.mu.Lock()
	h.fake.healthErrs = 5
	h.fake.mu.Unlock()
	h.drive(w, 200, func(j *Job) bool { return !w.unconfirmedSince.IsZero() })
	h.fake.cluster(ClusterName(id, 1)).gone = true
	j := h.drive(w, 2000, nil)
	if j.Status != Succeeded || j.Recoveries != 1 {
		t.Fatalf("job %s (%s) recoveries %d", j.Status, j.FailureReason, j.Recoveries)
	}
	b, _ := os.ReadFile(ControllerLog(h.home, id))
	if !strings.Contains(string(b), "the cloud could not be asked") {
		t.Errorf("controller log does not explain the wait:\n%s", b)
	}
}

// A job whose processes vanish without an exit code while the cloud keeps
// reporting the node running fails after the grace, saying so.
func TestFailedWithoutExitCodeOnARunningNodeFailsAfterGrace(t *testing.T) {
	h := newHarness(t)
	h.fake.outcome = func(string, int) (string, int) { return "FAILED", -1 }
	id := h.submit(Recovery{})
	w := h.worker(h.ctl, id)
	h.drive(w, 20, is(Running))
	h.drive(w, 200, func(j *Job) bool { return !w.unconfirmedSince.IsZero() })
	seen := w.unconfirmedSince
	j := h.drive(w, 2000, nil)
	if j.Status != Failed || j.Recoveries != 0 || !strings.Contains(j.FailureReason, "without an exit code") {
		t.Fatalf("job %s (%s) recoveries %d", j.Status, j.FailureReason, j.Recoveries)
	}
	if d := h.clk.Now().Sub(seen); d < 30*time.Second {
		t.Fatalf("failed %s after the head first reported it, inside the 30 s grace", d)
	}
}
