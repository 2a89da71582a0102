package e2ecli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// budgetTask is issue 16's T4 task; with every RunInstances refused in
// us-east-1, us-east-2 and us-west-2 (the three cheapest T4 regions) it
// lands in the fourth.
const budgetTask = "name: t4\nresources:\n  infra: %s\n  accelerators: T4\n  image_id: ami-12c6146b\nrun: echo hi\n"

// upRe takes the priced zone (the one an infra pin names) from "is UP: AWS
// (us-east-1a)" or "is UP: AWS (us-east-1c, priced as us-east-1a)".
var upRe = regexp.MustCompile(`is UP: AWS \((?:[a-z0-9-]+, priced as )?([a-z0-9-]+)\)`)

// BenchmarkFailoverBudget measures issue 16's failover budget with the
// real CLI and compiler module: the fallback apply of the T4 task
// (--provision-only, three regions refusing every launch) and, in the
// same run, a direct apply to the zone it landed in. It reports both
// walls (the apply process's, so background destroys it waits for are
// counted), the failed locations, and (fallback − direct) ÷ failed
// locations. With FAILOVER_BASELINE set to another skyplan binary (see
// bench/failover.sh) the same pair runs with it too, alternating, so old
// and new share the machine's load.
func BenchmarkFailoverBudget(b *testing.B) {
	e := newEnv(b)
	// FAILOVER_BUDGET_REGIONS=1 or 2 refuses fewer regions, for a quicker
	// side-by-side on a loaded machine (issue 16's case is 3).
	if n, err := strconv.Atoi(os.Getenv("FAILOVER_BUDGET_REGIONS")); err == nil && n >= 1 && n < len(budgetRegions) {
		budgetRegions = budgetRegions[:n]
	}
	for _, r := range budgetRegions {
		e.proxy.Fail(r, provisiontest.InsufficientInstanceCapacity, -1)
	}
	os.WriteFile(filepath.Join(e.work, "t4.yaml"), []byte(fmt.Sprintf(budgetTask, "aws")), 0o644)
	self, _ := os.Executable()
	bins := []struct{ name, exe string }{{"new", self}}
	if base := os.Getenv("FAILOVER_BASELINE"); base != "" {
		bins = append(bins, struct{ name, exe string }{"base", base})
	}
	cfg, _ := os.ReadFile(filepath.Join(e.home, "config.yaml"))
	for _, bin := range bins {
		os.MkdirAll(filepath.Join(e.home, bin.name), 0o755)
		os.WriteFile(filepath.Join(e.home, bin.name, "config.yaml"), cfg, 0o644)
	}
	type sums struct{ fallback, direct, failed, calls float64 }
	total := map[string]*sums{}
	for i := 0; i < b.N; i++ {
		for _, bin := range bins {
			// Each binary has its own home: a baseline may not read a newer state.db.
			env := append(append([]string(nil), e.vars...), "SKYPLAN_HOME="+filepath.Join(e.home, bin.name))
			run := func(args ...string) provisiontest.CLIResult {
				return provisiontest.RunBinary(b, bin.exe, 90*time.Minute, e.work, env, args...)
			}
			name := fmt.Sprintf("fb%s%d", bin.name, i)
			calls0 := e.failedRegionCalls()
			t0 := time.Now()
			r := run("apply", "t4.yaml", "-c", name, "-y", "--provision-only")
			fallback := time.Since(t0).Seconds()
			saveLog(name, r.Stderr)
			m := upRe.FindStringSubmatch(r.Stdout)
			if r.Code != 0 || m == nil {
				b.Fatalf("%s fallback apply: exit %d\n%s", bin.name, r.Code, r.Stderr)
			}
			failed := strings.Count(r.Stderr, "capacity error in ")
			// RunInstances calls per failed location: 1 + the provider's retries.
			calls := e.failedRegionCalls() - calls0
			if d := run("down", name, "-y"); d.Code != 0 {
				b.Fatalf("down %s: %s", name, d.Stderr)
			}
			zone := m[1]
			region := zone[:len(zone)-1]
			os.WriteFile(filepath.Join(e.work, "direct.yaml"), []byte(fmt.Sprintf(budgetTask, "aws/"+region+"/"+zone)), 0o644)
			name = fmt.Sprintf("d%s%d", bin.name, i)
			t0 = time.Now()
			r = run("apply", "direct.yaml", "-c", name, "-y", "--provision-only")
			direct := time.Since(t0).Seconds()
			saveLog(name, r.Stderr)
			if r.Code != 0 {
				b.Fatalf("%s direct apply: exit %d\n%s", bin.name, r.Code, r.Stderr)
			}
			if d := run("down", name, "-y"); d.Code != 0 {
				b.Fatalf("down %s: %s", name, d.Stderr)
			}
			b.Logf("%s: fallback %.1f s (landed in %s after %d failed locations, %.1f RunInstances calls each), direct %.1f s → %.2f s per failed location",
				bin.name, fallback, zone, failed, float64(calls)/float64(failed), direct, (fallback-direct)/float64(failed))
			s := total[bin.name]
			if s == nil {
				s = &sums{}
				total[bin.name] = s
			}
			s.fallback += fallback
			s.direct += direct
			s.failed += float64(failed)
			s.calls += float64(calls)
		}
	}
	for _, bin := range bins {
		s := total[bin.name]
		n := float64(b.N)
		b.ReportMetric(s.fallback/n, bin.name+"-fallback-s")
		b.ReportMetric(s.direct/n, bin.name+"-direct-s")
		b.ReportMetric(s.failed/n, bin.name+"-failed-locations")
		b.ReportMetric(s.calls/s.failed, bin.name+"-calls/failed-location")
		b.ReportMetric((s.fallback-s.direct)/s.failed, bin.name+"-s/failed-location")
	}
}

// budgetRegions refuse every launch in BenchmarkFailoverBudget.
var budgetRegions = []string{"us-east-1", "us-east-2", "us-west-2"}

func (e *env) failedRegionCalls() int {
	n := 0
	for _, r := range budgetRegions {
		n += e.proxy.Calls(r)
	}
	return n
}

// saveLog keeps an apply's stderr in $FAILOVER_LOG_DIR, when set, to read
// where a run spent its time.
func saveLog(name, stderr string) {
	if dir := os.Getenv("FAILOVER_LOG_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, name+".stderr"), []byte(stderr), 0o644)
	}
}
