package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/runner/sshdtest"
)

// BenchmarkManagedJobRecovery: a spot managed job on moto with 1 s
// polling is preempted (instance terminated, node killed); reported are
// preemption → RECOVERING and → RUNNING again, and the phases the
// controller recorded: detect (first failed poll → the cloud confirmed),
// teardown (of the dead attempt, beside the relaunch), apply (attempt 2's
// terraform, fallback loop included) and setup (SSH wait, sync, setup,
// until the run was seen running).
// Run: go test ./e2e -run '^$' -bench ManagedJobRecovery -benchtime 1x
func BenchmarkManagedJobRecovery(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := newEnv(b, 1)
		withJobsConfig(b, e, 60)
		mustWrite(b, filepath.Join(e.work, "job.yaml"), spotJob, 0o644)
		id := launchJob(b, e, "job.yaml")
		j := e.waitJob(id, 5*time.Minute, "RUNNING", func(j jobDoc) bool { return j.Status == "RUNNING" })
		time.Sleep(2 * time.Second)
		preempt(b, e, j.Region)
		t0 := time.Now()
		e.waitJob(id, 2*time.Minute, "RECOVERING", func(j jobDoc) bool { return j.Status == "RECOVERING" })
		toRecovering := time.Since(t0)
		// Two destroys under a loaded machine took over 5 minutes.
		j = e.waitJob(id, 10*time.Minute, "SUCCEEDED and cleaned up", ended)
		if j.Status != "SUCCEEDED" || len(j.Attempts) != 2 || j.Attempts[1].Running == nil {
			b.Fatalf("job: %+v", j)
		}
		b.ReportMetric(toRecovering.Seconds(), "s_to_RECOVERING")
		b.ReportMetric(j.Attempts[1].Running.Sub(t0).Seconds(), "s_to_RUNNING")
		b.ReportMetric(j.Attempts[0].Phases["detect"], "s_detect")
		b.ReportMetric(j.Attempts[0].Phases["teardown"], "s_teardown")
		b.ReportMetric(j.Attempts[1].Phases["apply"], "s_apply")
		b.ReportMetric(j.Attempts[1].Phases["setup"], "s_setup")
		stopController(b, e)
	}
}

// BenchmarkControllerFootprint: 100 managed jobs running at once on an SSH
// node pool of 100 sshd nodes; reported are the controller's RSS and its
// CPU use per second of wall time while it polls them (default 15 s
// polling, and with SKYPLAN_BENCH_POLL seconds if set).
// Run: go test ./e2e -run '^$' -bench ControllerFootprint -benchtime 1x
func BenchmarkControllerFootprint(b *testing.B) {
	const jobs = 100
	poll := 15
	if v, err := strconv.Atoi(os.Getenv("SKYPLAN_BENCH_POLL")); err == nil && v > 0 {
		poll = v
	}
	for i := 0; i < b.N; i++ {
		e := &env{t: b, home: b.TempDir(), work: b.TempDir()}
		sc := sshdtest.Start(b, jobs)
		e.vars = []string{"SKYPLAN_HOME=" + e.home, "HOME=" + e.home}
		mustWrite(b, filepath.Join(e.home, "ssh_node_pools.yaml"), sc.PoolYAML("lab"), 0o600)
		mustWrite(b, filepath.Join(e.home, "config.yaml"), fmt.Sprintf("jobs:\n  poll_seconds: %d\n", poll), 0o644)
		b.Cleanup(func() { stopController(b, e) })
		mustWrite(b, filepath.Join(e.work, "sleep.yaml"), "name: sleeper\nresources:\n  infra: ssh/lab\nrun: sleep 900\n", 0o644)
		var ids []int64
		for k := 0; k < jobs; k++ {
			ids = append(ids, launchJob(b, e, "sleep.yaml"))
		}
		deadline := time.Now().Add(10 * time.Minute)
		for {
			r := e.run("jobs", "queue", "-o", "json")
			if n := strings.Count(r.stdout, `"status": "RUNNING"`); n == jobs {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("not every job RUNNING after 10 min:\n%s", tail(r.stdout, 2000))
			}
			time.Sleep(2 * time.Second)
		}
		st, _ := controller.Probe(controller.FilesIn(e.home))
		cpu0, wall0 := procCPU(b, st.PID), time.Now()
		time.Sleep(max(time.Duration(4*poll)*time.Second, 30*time.Second))
		cpu := procCPU(b, st.PID) - cpu0
		wall := time.Since(wall0)
		b.ReportMetric(float64(procRSS(b, st.PID))/1024, "MiB_RSS")
		b.ReportMetric(cpu.Seconds()/wall.Seconds()*100, "%CPU")
		b.ReportMetric(float64(poll), "s_poll")
		for _, id := range ids {
			_ = id
		}
		e.run("jobs", "cancel", "-a", "-y")
		e.waitJob(ids[len(ids)-1], 5*time.Minute, "cancelled", ended)
	}
}

func procRSS(t testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	return 0
}

// procCPU is utime+stime of pid (clock ticks of 10 ms).
func procCPU(t testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * 10 * time.Millisecond
}
