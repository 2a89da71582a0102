package runner

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/task"
)

// benchRunSleep1 measures the wall time of `run: sleep 1` as a job on n
// nodes: fresh SSH connections to every node, submit, stream, collect exit
// codes. Target: ≤ 1.3× the 1-node time at 8 and 32 nodes.
//
// All test-bed nodes share this machine's CPUs, so it also reports the CPU
// the nodes (sshd, shells, job processes) and skyplan itself spend per run:
// on a real cluster the node share is paid by each node on its own CPU.
func benchRunSleep1(b *testing.B, n int) {
	sc, cl, r, _ := testSetup(b, n, "bench")
	tk := &task.Task{NumNodes: n, Run: "sleep 1"}
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	node0 := nodesCPU(sc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := r.Exec(context.Background(), cl, tk, LaunchOptions{})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	self := time.Duration(after.Utime.Nano() - before.Utime.Nano() + after.Stime.Nano() - before.Stime.Nano())
	b.ReportMetric(float64(self.Milliseconds())/float64(b.N), "skyplan-cpu-ms/op")
	b.ReportMetric(float64((nodesCPU(sc)-node0).Milliseconds())/float64(b.N), "nodes-cpu-ms/op")
}

// nodesCPU sums the CPU time of the sshd listeners and everything they
// reaped (connections, sessions, job processes).
func nodesCPU(sc *sshdtest.Cluster) time.Duration {
	var total time.Duration
	for _, nd := range sc.Nodes {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(sshdtest.PID(nd)) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			if k < len(f) {
				v, _ := strconv.Atoi(f[k])
				total += time.Duration(v) * 10 * time.Millisecond // USER_HZ = 100
			}
		}
	}
	return total
}

func BenchmarkRunSleep1_1(b *testing.B)  { benchRunSleep1(b, 1) }
func BenchmarkRunSleep1_8(b *testing.B)  { benchRunSleep1(b, 8) }
func BenchmarkRunSleep1_32(b *testing.B) { benchRunSleep1(b, 32) }
