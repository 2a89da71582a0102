package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// spotServeYAML: two spot replicas with SkyServe's dynamic on-demand
// fallback in one region (the spot placer spreads them over its zones).
// Each replica's server binds its machine's own loopback address
// (E2E_NODE_IP, from the node's .bashrc: several sshd nodes share this
// host), which the test's replica proxy maps the instance's address to.
const spotServeYAML = `name: spot-web
resources:
  infra: aws/us-east-1
  cpus: 2
  use_spot: true
  image_id: ami-12c6146b
service:
  readiness_probe:
    path: /
    initial_delay_seconds: 180
  replica_policy:
    min_replicas: 2
    max_replicas: 2
    dynamic_ondemand_fallback: true
  ports: %d
run: |
  mkdir -p www && echo ok > www/index.html && cd www
  exec python3 -m http.server %d --bind $E2E_NODE_IP
`

// TestServeSpotFallbackAndPreemptionOnMoto is the SkyServe policy end to
// end on moto + sshd: spot capacity is gone in the first two zones the
// placer tries, so those replicas fail to launch, their zones are marked
// and the spot replicas land in two other zones while on-demand replicas
// cover the gap (and are drained once spot is READY: fallback hold 0).
// Then a spot replica is preempted (terminated in moto; the watcher kills
// its machine): it leaves the rotation, an on-demand replica covers, and
// a spot replacement becomes READY; requests through the endpoint keep
// succeeding. serve down leaves no instance and no server.
func TestServeSpotFallbackAndPreemptionOnMoto(t *testing.T) {
	e := newEnv(t, 5)
	claims := filepath.Join(e.home, "claims")
	if err := os.MkdirAll(claims, 0o755); err != nil {
		t.Fatal(err)
	}
	region := "us-east-1"
	var goneMu sync.Mutex
	gone := map[string]time.Time{} // instance id → when its machine was killed
	e.watchMachines(claims, []string{region}, func(id string, _ int) {
		goneMu.Lock()
		gone[id] = time.Now()
		goneMu.Unlock()
	})
	proxy := e.startReplicaProxy(claims)
	for _, n := range e.sshd.Nodes {
		f := filepath.Join(n.Home, ".bashrc")
		b, _ := os.ReadFile(f)
		mustWrite(t, f, string(b)+"export E2E_NODE_IP="+n.IP+"\n", 0o644)
	}
	cfg := filepath.Join(e.home, "config.yaml")
	b, _ := os.ReadFile(cfg)
	mustWrite(t, cfg, string(b)+fmt.Sprintf("serve:\n  replica_proxy: %s\n  fallback_hold_seconds: 0\n", proxy), 0o644)
	e.vars = append(e.vars, claimsEnv+"="+claims, "SKYPLAN_E2E_REGIONS="+region)
	t.Cleanup(func() {
		killDaemon(t, e.home)
		if t.Failed() {
			for _, f := range []string{"controller.log", "load_balancer.log"} {
				if b, err := os.ReadFile(filepath.Join(e.home, "serve", "spot-web", f)); err == nil {
					t.Logf("%s:\n%s", f, tail(dedupLines(string(b)), 12000))
				}
			}
		}
	})
	e.proxy.FailSpotInFirstZones(2, provisiontest.InsufficientInstanceCapacity)

	port := commonPort(t, e.sshd)
	mustWrite(t, filepath.Join(e.work, "service.yaml"), fmt.Sprintf(spotServeYAML, port, port), 0o644)
	up := e.run("serve", "up", "service.yaml", "-n", "spot-web", "-y")
	m := regexp.MustCompile(`endpoint: (http://\S+)`).FindStringSubmatch(up.stdout)
	if up.code != 0 || m == nil {
		t.Fatalf("serve up: exit %d\n%s\n%s", up.code, up.stdout, up.stderr)
	}
	endpoint := m[1]
	start := time.Now()

	// Two spot replicas READY, in zones other than the failed ones, in
	// two distinct zones; the fallback on-demand replicas drained.
	var odSeen atomic.Bool
	spotReady := func(s serveStatus) (ready []string) {
		for _, svc := range s.Services {
			for _, r := range svc.Replicas {
				if !r.UseSpot && liveStatus(r.Status) {
					odSeen.Store(true)
				}
				if r.UseSpot && r.Status == "READY" {
					ready = append(ready, r.Zone)
				}
			}
		}
		return ready
	}
	onlySpot := func(s serveStatus) bool {
		if len(spotReady(s)) != 2 {
			return false
		}
		for _, r := range s.Services[0].Replicas {
			if !r.UseSpot && liveStatus(r.Status) {
				return false
			}
		}
		return true
	}
	st := waitStatus(t, e.work, e.vars, 20*time.Minute, onlySpot)
	t.Logf("2 spot replicas READY, on-demand drained after %s", time.Since(start).Round(time.Second))
	// The proxy sees moto's zone names; skyplan reports the priced ones.
	var failedZones []string
	for _, z := range e.proxy.SpotZonesFailed() {
		failedZones = append(failedZones, e.moto.PricedZone(t, z))
	}
	zones := spotReady(st)
	if len(failedZones) != 2 || zones[0] == zones[1] {
		t.Fatalf("spot zones failed %v, spot replicas in %v: want two failed zones and two distinct others", failedZones, zones)
	}
	for _, z := range zones {
		for _, f := range failedZones {
			if z == f {
				t.Fatalf("a spot replica is READY in %s, where spot capacity was refused", z)
			}
		}
	}
	if !odSeen.Load() {
		t.Error("no on-demand replica was launched while spot replicas were not ready (dynamic_ondemand_fallback)")
	}
	ctl := e.run("serve", "logs", "spot-web", "--controller")
	for _, f := range failedZones {
		if !strings.Contains(ctl.stdout, f) {
			t.Errorf("the controller log does not name the failed zone %s", f)
		}
	}
	get(t, endpoint+"/", "ok")

	// Preempt one spot replica under a light load.
	var victim struct {
		id int
		ip string
	}
	for _, r := range st.Services[0].Replicas {
		if r.UseSpot && r.Status == "READY" {
			victim.id, victim.ip = r.ID, r.IP
			break
		}
	}
	load := startLoad(endpoint+"/", 20)
	time.Sleep(2 * time.Second)
	instID := instanceWithIP(t, e, region, victim.ip)
	e.moto.Terminate(t, region, instID)
	preempted := time.Now()
	st = waitStatus(t, e.work, e.vars, 20*time.Minute, func(s serveStatus) bool {
		if len(spotReady(s)) != 2 {
			return false
		}
		for _, r := range s.Services[0].Replicas {
			if r.ID == victim.id && r.Status != "PREEMPTED" {
				return false
			}
		}
		return true
	})
	toReplaced := time.Since(preempted)
	sent, failed := load.stop()
	lbLog, _ := os.ReadFile(filepath.Join(e.home, "serve", "spot-web", "load_balancer.log"))
	toOut := rotationExit(t, string(lbLog), victim.ip, preempted)
	goneMu.Lock()
	killedAt := gone[instID]
	goneMu.Unlock()
	t.Logf("preemption (terminated in moto) → machine killed %s → out of rotation %s after the kill; → replacement READY %s; load: %d sent, %d failed",
		killedAt.Sub(preempted).Round(time.Millisecond), (toOut - killedAt.Sub(preempted)).Round(time.Millisecond), toReplaced.Round(time.Second), sent, failed)
	if failed*1000 > sent {
		t.Errorf("%d of %d requests failed during the preemption (> 0.1%%)", failed, sent)
	}

	// Every replica's terraform destroy runs at once; on a loaded machine
	// that takes minutes.
	down := provisiontest.RunCLI(t, 15*time.Minute, e.work, e.vars, "serve", "down", "spot-web", "-y")
	if down.Code != 0 {
		t.Fatalf("serve down: exit %d\n%s\n%s", down.Code, down.Stdout, down.Stderr)
	}
	if live := e.live(); len(live) != 0 {
		t.Fatalf("instances left after serve down: %v", live)
	}
	if s := statusJSON(t, e.work, e.vars); len(s.Services) != 0 {
		t.Fatalf("services left after down: %+v", s)
	}
}

func instanceWithIP(t *testing.T, e *env, region, ip string) string {
	t.Helper()
	insts, err := describeInstances(e.moto.URL, region)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		if (in.PrivateIP == ip || in.PublicIP == ip) && (in.State == "running" || in.State == "pending") {
			return in.ID
		}
	}
	t.Fatalf("no live instance in %s has address %s", region, ip)
	return ""
}

// rotationExit is how long after from the load balancer logged ip's
// replica leaving the rotation (its log lines start with a UTC time).
func rotationExit(t *testing.T, log, ip string, from time.Time) time.Duration {
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, ip) || !(strings.Contains(l, "removed") || strings.Contains(l, "rotation:")) {
			continue
		}
		if len(l) < 23 {
			continue
		}
		at, err := time.Parse("2006-01-02 15:04:05.000", l[:23])
		if err != nil || at.Before(from.UTC().Add(-time.Second)) || !strings.Contains(l, "removed") {
			continue
		}
		return at.Sub(from.UTC().Truncate(time.Millisecond))
	}
	t.Errorf("the load balancer log has no removal of %s after the preemption:\n%s", ip, tail(log, 3000))
	return 0
}

// load is a paced GET loop: rate requests per second until stop.
type load struct {
	stopc        chan struct{}
	done         chan struct{}
	sent, failed atomic.Int64
}

func startLoad(url string, rate int) *load {
	l := &load{stopc: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	go func() {
		defer close(l.done)
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		for {
			select {
			case <-l.stopc:
				wg.Wait()
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				l.sent.Add(1)
				resp, err := client.Get(url)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					l.failed.Add(1)
				}
			}()
		}
	}()
	return l
}

func (l *load) stop() (sent, failed int64) {
	close(l.stopc)
	<-l.done
	return l.sent.Load(), l.failed.Load()
}

// liveStatus: the replica counts (not ended, not being torn down).
func liveStatus(s string) bool {
	switch s {
	case "PENDING", "PROVISIONING", "STARTING", "READY", "NOT_READY":
		return true
	}
	return false
}

// dedupLines drops lines that repeat the previous one after its timestamp
// (a retry logged every pass), keeping logs readable in a failure report.
func dedupLines(s string) string {
	var out []string
	prev := ""
	for _, l := range strings.Split(s, "\n") {
		body := l
		if len(l) > 24 {
			body = l[24:]
		}
		if body == prev {
			continue
		}
		prev = body
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
