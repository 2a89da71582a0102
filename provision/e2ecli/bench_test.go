package e2ecli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// BenchmarkFailoverStepCompiled measures seconds per failed location with
// the compiler's real AWS module (VPC, subnet, gateway, routes, security
// group, key pair, instance): `skyplan apply` pinned to us-east-2, every
// zone answering InsufficientInstanceCapacity, until exhausted.
func BenchmarkFailoverStepCompiled(b *testing.B) {
	e := newEnv(b)
	e.proxy.Fail("us-east-2", provisiontest.InsufficientInstanceCapacity, -1)
	os.WriteFile(filepath.Join(e.work, "task.yaml"), []byte("name: demo\nresources:\n  infra: aws/us-east-2\n  instance_type: m6i.large\n  image_id: ami-12c6146b\nrun: echo hi\n"), 0o644)
	steps := 0
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := e.run("apply", "task.yaml", "-c", "bench", "-y", "--provision-only")
		if r.code != 1 {
			b.Fatalf("want exhausted, exit %d", r.code)
		}
		steps += strings.Count(r.stderr, "capacity error in ")
	}
	if steps == 0 {
		b.Fatal("no failed location")
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(steps), "s/failed-location")
}
