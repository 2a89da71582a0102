package lb

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchRate is the paced rate per path (-lb.rate; the goal is stated at
// 1,000 req/s, which a machine shared with other work may not sustain:
// then every request queues and the percentiles say nothing of the LB).
var benchRate = flag.Int("lb.rate", 1000, "BenchmarkLBOverhead: paced requests per second on each path")

// BenchmarkLBOverhead measures the load balancer against going straight to
// the replica, side by side in one run on loopback:
//   - latency at a paced 1,000 req/s on each path, the requests of the
//     two paths interleaved one by one (so machine noise, which on a
//     shared machine dwarfs the LB, hits both alike): P50/P99 and the
//     added P50/P99;
//   - max req/s with 32 closed-loop clients, alternating 250 ms slices
//     between the paths.
//
// Run with bench/serve-lb.sh (or -bench LBOverhead -benchtime 1x).
func BenchmarkLBOverhead(b *testing.B) {
	replica := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer replica.Close()
	lb, err := New(Options{ErrorLog: quiet})
	if err != nil {
		b.Fatal(err)
	}
	lb.AddReplica(replica.URL)
	front := httptest.NewServer(lb)
	defer front.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	do := func(url string) (time.Duration, error) {
		start := time.Now()
		resp, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), err
	}
	for i := 0; i < 200; i++ { // warm connections on both paths
		do(replica.URL)
		do(front.URL)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		rate, dur := *benchRate, 5*time.Second
		direct, viaLB := paced(b, do, replica.URL, front.URL, rate, dur)
		dp50, dp99 := pct(direct, 50), pct(direct, 99)
		lp50, lp99 := pct(viaLB, 50), pct(viaLB, 99)
		var maxDirect, maxLB float64
		var cpuDirect, cpuLB time.Duration
		const slices = 8
		for i := 0; i < slices; i++ {
			rd, cd := maxRPS(b, do, replica.URL, 32, 250*time.Millisecond)
			rl, cl := maxRPS(b, do, front.URL, 32, 250*time.Millisecond)
			maxDirect, maxLB = maxDirect+rd/slices, maxLB+rl/slices
			cpuDirect, cpuLB = cpuDirect+cd/slices, cpuLB+cl/slices
		}
		b.ReportMetric(float64(dp50.Microseconds()), "direct_p50_us")
		b.ReportMetric(float64(dp99.Microseconds()), "direct_p99_us")
		b.ReportMetric(float64(lp50.Microseconds()), "lb_p50_us")
		b.ReportMetric(float64(lp99.Microseconds()), "lb_p99_us")
		b.ReportMetric(float64((lp99 - dp99).Microseconds()), "added_p99_us")
		b.ReportMetric(maxDirect, "direct_max_rps")
		b.ReportMetric(maxLB, "lb_max_rps")
		b.ReportMetric(float64((cpuLB - cpuDirect).Microseconds()), "lb_cpu_us/req")
		fmt.Printf("at %d req/s, %v on each path: direct P50 %v P99 %v | via LB P50 %v P99 %v | added P50 %v P99 %v\n",
			rate, dur, dp50, dp99, lp50, lp99, lp50-dp50, lp99-dp99)
		fmt.Printf("max req/s (32 clients): direct %.0f | via LB %.0f (%.2f×)\n", maxDirect, maxLB, maxLB/maxDirect)
		// CPU time per request does not depend on what else the machine
		// runs: the LB's own cost, and the req/s one core of it can carry.
		added := cpuLB - cpuDirect
		fmt.Printf("CPU per request (whole process): direct %v | via LB %v | LB's own %v (≈ %.0f req/s per core)\n",
			cpuDirect, cpuLB, added, float64(time.Second)/float64(max(added, time.Microsecond)))
	}
}

// paced sends rate req/s (open loop) to each path for dur, alternating
// request by request between the direct URL and the LB, so both paths
// see the same machine at the same load, and returns the latencies of
// each.
func paced(b *testing.B, do func(string) (time.Duration, error), direct, viaLB string, rate int, dur time.Duration) (d, l []time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	period := time.Second / time.Duration(2*rate)
	start := time.Now()
	total := int(dur / period)
	for i := 0; i < total; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * period)))
		viaLBBlock := i%2 == 1
		url := direct
		if viaLBBlock {
			url = viaLB
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat, err := do(url)
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			if viaLBBlock {
				l = append(l, lat)
			} else {
				d = append(d, lat)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return d, l
}

// maxRPS runs clients closed-loop request loops against url for dur and
// returns req/s and the process CPU time per request.
func maxRPS(b *testing.B, do func(string) (time.Duration, error), url string, clients int, dur time.Duration) (float64, time.Duration) {
	var n atomic.Int64
	cpu0 := cpuTime()
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := do(url); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	cpu := (cpuTime() - cpu0) / time.Duration(max(n.Load(), 1))
	return float64(n.Load()) / dur.Seconds(), cpu
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, len(s)*p/100)]
}
