package cli

import (
	"testing"
	"time"

	"github.com/skyplan/skyplan/state"
)

// BenchmarkServeReplicaLoss measures, on an SSH node pool of real sshd
// nodes, how long after a replica's node is killed (sshd and server) the
// replica is out of the load balancer's rotation, and how long until its
// replacement is READY. Run with -benchtime=Nx (each op kills one node).
//
//	go test ./cli -run '^$' -bench ServeReplicaLoss -benchtime 5x
func BenchmarkServeReplicaLoss(b *testing.B) {
	bed := startPoolBed(b, 2+b.N)
	bed.create("web", "replicas: 2")
	bed.waitFor("2 READY replicas", 90*time.Second, func(rs []*state.Replica) bool { return len(ready(rs, 1)) == 2 })
	var out, repl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		victim := ready(bed.must(bed.store.ListReplicas("web")), 1)[0]
		killed := time.Now()
		bed.nodes.Kill(nodeOf(bed, victim))
		for inRotation(bed.ctl.Rotation("web"), victim.URL) {
			time.Sleep(2 * time.Millisecond)
		}
		out += time.Since(killed)
		bed.waitFor("the replacement READY", 90*time.Second, func(rs []*state.Replica) bool {
			for _, r := range rs {
				if r.ID == victim.ID && !r.Status.Terminal() {
					return false
				}
			}
			return len(ready(rs, 1)) == 2
		})
		repl += time.Since(killed)
	}
	b.StopTimer()
	b.ReportMetric(float64(out.Milliseconds())/float64(b.N), "ms-out-of-rotation")
	b.ReportMetric(float64(repl.Milliseconds())/float64(b.N), "ms-replacement-ready")
}
