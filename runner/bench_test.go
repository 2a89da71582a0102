package runner

import (
	"context"
	"testing"

	"github.com/skyplan/skyplan/task"
)

// benchRunSleep1 measures the wall time of `run: sleep 1` as a job on n
// nodes: connect (fresh SSH to every node), submit, stream, collect exit
// codes. The target is ≤ 1.3× the 1-node time at 8 and 32 nodes.
func benchRunSleep1(b *testing.B, n int) {
	_, cl, r, _ := testSetup(b, n, "bench")
	tk := &task.Task{NumNodes: n, Run: "sleep 1"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := r.Exec(context.Background(), cl, tk, LaunchOptions{})
		if err != nil || res.ExitCode != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

func BenchmarkRunSleep1_1(b *testing.B)  { benchRunSleep1(b, 1) }
func BenchmarkRunSleep1_8(b *testing.B)  { benchRunSleep1(b, 8) }
func BenchmarkRunSleep1_32(b *testing.B) { benchRunSleep1(b, 32) }
