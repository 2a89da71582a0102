package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkApplyOverhead measures skyplan's own time in a whole `apply` of
// the 2-node GPU task (workdir, file mount, bucket upload and COPY, setup,
// run): wall time minus every terraform run's time (recorded by the timing
// wrapper around terraform) minus the task's own time (its run sleeps a
// known 2 s on every node, in parallel). What remains is optimisation,
// compilation, state, the SSH work (handshakes through the proxy helper,
// syncs, file mounts, the bucket upload and the job protocol) and process
// start-up. Run: go test ./e2e -run '^$' -bench ApplyOverhead -benchtime 1x
func BenchmarkApplyOverhead(b *testing.B) {
	e := newEnv(b, 2)
	writeProject(b, e.work)
	task := strings.Replace(gpuTask, "run: |\n", "run: |\n  sleep 2\n", 1)
	mustWrite(b, filepath.Join(e.work, "task.yaml"), task, 0o644)
	const taskTime = 2 * time.Second
	var wall, tf time.Duration
	ops := map[string]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.Remove(e.tfLog)
		start := time.Now()
		r := e.run("apply", "task.yaml", "-c", "bench", "-y")
		wall += time.Since(start)
		if r.code != 0 {
			b.Fatalf("apply exit %d", r.code)
		}
		b.StopTimer()
		tf += terraformTime(b, e.tfLog, ops)
		if d := e.run("down", "bench", "-y"); d.code != 0 {
			b.Fatalf("down exit %d", d.code)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	overhead := wall - tf - time.Duration(b.N)*taskTime
	b.ReportMetric(wall.Seconds()/n, "s-wall/apply")
	b.ReportMetric(tf.Seconds()/n, "s-terraform/apply")
	b.ReportMetric(overhead.Seconds()/n, "s-skyplan/apply")
	b.Logf("per apply: wall %.2fs, terraform %.2fs (%v), task %s, skyplan overhead %.2fs",
		wall.Seconds()/n, tf.Seconds()/n, ops, taskTime, overhead.Seconds()/n)
}

// terraformTime sums the durations the timing wrapper logged, by command.
func terraformTime(t testing.TB, path string, ops map[string]time.Duration) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("terraform timing log: %v", err)
	}
	var total time.Duration
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		total += time.Duration(ns)
		ops[f[0]] += time.Duration(ns).Round(time.Millisecond)
	}
	return total
}
