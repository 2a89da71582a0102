// Package autoscale decides how many replicas a service runs and of which
// kind (spot or on-demand): SkyServe's RequestRateAutoscaler (request rate
// over a window against target_qps_per_replica, with the upscale and
// downscale delays as hysteresis) combined with its
// FallbackRequestRateAutoscaler (spot over-provisioning, base on-demand
// replicas, dynamic on-demand fallback while spot replicas are not ready).
//
// skyplan also counts in-flight requests: a request still streaming that
// started before the window counts as one request of the window, so long
// LLM token streams keep their replicas (SkyServe counts arrivals only).
//
// The autoscaler does no I/O and reads time only through Options.Now; the
// controller calls Evaluate on its own tick and persists State().
package autoscale

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/skyplan/skyplan/task"
)

// DefaultWindow is SkyServe's QPS window (AUTOSCALER_QPS_WINDOW_SIZE_SECONDS).
const DefaultWindow = 60 * time.Second

// DefaultInterval is SkyServe's decision interval; the controller's tick.
const DefaultInterval = 20 * time.Second

// Load is what the load balancer observed over the last Window.
type Load struct {
	// Requests arrived within the window, plus requests still in flight
	// that arrived before it (see lb.Stats).
	Requests int
	// Window the requests were counted over (DefaultWindow if 0).
	Window time.Duration
	// InFlight requests right now (all replicas).
	InFlight int
}

// QPS is the request rate of l.
func (l Load) QPS() float64 {
	w := l.Window
	if w <= 0 {
		w = DefaultWindow
	}
	return float64(l.Requests) / w.Seconds()
}

// Replica is one non-terminal replica (launching, starting, ready or not
// ready) as the replica manager sees it. Terminal replicas (failed,
// preempted, shut down) are not passed.
type Replica struct {
	ID      int
	Version int
	Spot    bool
	Ready   bool
	// InFlight requests the load balancer has open to this replica; busy
	// replicas are scaled down last.
	InFlight int
}

// Launch asks for one new replica.
type Launch struct {
	Spot bool
}

// Decision is the outcome of one evaluation.
type Decision struct {
	// Target is target_num_replicas after hysteresis (without
	// over-provisioning).
	Target int
	// SpotTarget and OnDemandTarget are the replicas of each kind wanted.
	SpotTarget, OnDemandTarget int
	// Launch lists replicas to start; ScaleDown the IDs to drain and stop.
	Launch    []Launch
	ScaleDown []int
}

// Options configure an Autoscaler.
type Options struct {
	// Spot: the task's resources use spot (use_spot: true). Without it every
	// replica is on-demand and the fallback fields have no effect.
	Spot bool
	// Window is the QPS window (DefaultWindow if 0).
	Window time.Duration
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Version is the service version whose replicas are counted (older
	// versions are the update logic's business).
	Version int
	// FallbackHold keeps fallback on-demand replicas until no spot replica
	// has been lost (preempted or failed, not scaled down) for this long
	// (skyplan's policy; SkyServe drains them as soon as spot replicas are
	// ready, 0). Preemptions come in bursts: spot that just came back is
	// often reclaimed again within minutes, and a drained on-demand replica
	// costs a cold start to bring back.
	FallbackHold time.Duration
}

// State is what the controller persists to resume after a restart.
type State struct {
	Target int `json:"target"`
	// AboveSince/BelowSince: since when the wanted count has stayed above
	// (below) Target; zero when it is not.
	AboveSince time.Time `json:"above_since,omitempty"`
	BelowSince time.Time `json:"below_since,omitempty"`
	// LastSpotLoss is when a spot replica last vanished without being
	// scaled down (preempted or failed).
	LastSpotLoss time.Time `json:"last_spot_loss,omitempty"`
}

// Autoscaler is safe for concurrent use.
type Autoscaler struct {
	mu     sync.Mutex
	policy task.ReplicaPolicy
	opts   Options
	st     State
	// prevSpot and lastDown are the spot replicas seen and the replicas
	// scaled down at the previous evaluation, to notice lost spot replicas.
	prevSpot, lastDown map[int]bool
}

// New returns an autoscaler for policy starting at min_replicas.
func New(policy task.ReplicaPolicy, opts Options) *Autoscaler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	return &Autoscaler{policy: policy, opts: opts, st: State{Target: policy.MinReplicas}}
}

// Update switches to a new service version's policy: the target jumps to
// the new policy's bounds at once and the hysteresis restarts (as
// SkyServe's update_version).
func (a *Autoscaler) Update(policy task.ReplicaPolicy, version int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.policy = policy
	a.opts.Version = version
	a.st = State{Target: a.clip(a.st.Target)}
}

// State returns the persisted state.
func (a *Autoscaler) State() State {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st
}

// Restore resumes from a persisted state.
func (a *Autoscaler) Restore(s State) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s.Target = a.clip(s.Target)
	a.st = s
}

// Wanted is the replica count the load asks for right now, before
// hysteresis: ceil(qps / target_qps_per_replica) clipped to [min, max]; a
// fixed-size service always wants min_replicas.
func (a *Autoscaler) Wanted(l Load) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.wanted(l)
}

func (a *Autoscaler) wanted(l Load) int {
	p := a.policy
	qps := 0.0
	switch {
	case p.TargetQPSPerReplica != nil:
		qps = *p.TargetQPSPerReplica
	case len(p.TargetQPSPerAccelerator) > 0:
		// instance_aware: without per-replica accelerator data, plan with the
		// most conservative (smallest) per-accelerator target.
		qps = math.Inf(1)
		for _, v := range p.TargetQPSPerAccelerator {
			qps = math.Min(qps, v)
		}
	default:
		return p.MinReplicas
	}
	if qps <= 0 {
		return p.Max()
	}
	w := l
	if w.Window <= 0 {
		w.Window = a.opts.Window
	}
	return a.clip(int(math.Ceil(w.QPS()/qps - 1e-9)))
}

func (a *Autoscaler) clip(n int) int {
	return max(a.policy.MinReplicas, min(a.policy.Max(), n))
}

// Evaluate updates the target with hysteresis and returns the scaling
// decision for replicas (every non-terminal replica, of any version).
func (a *Autoscaler) Evaluate(l Load, replicas []Replica) Decision {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hysteresis(a.wanted(l))
	return a.decide(replicas)
}

// hysteresis moves the target to wanted only once the wanted count has
// stayed above (below) it for upscale (downscale) delay seconds; from zero
// replicas it moves at once (scale from zero must not wait 5 minutes).
func (a *Autoscaler) hysteresis(wanted int) {
	now := a.opts.Now()
	p := a.policy
	switch {
	case a.st.Target == 0 && wanted > 0:
		a.st = State{Target: wanted}
	case wanted > a.st.Target:
		a.st.BelowSince = time.Time{}
		if a.st.AboveSince.IsZero() {
			a.st.AboveSince = now
		}
		if now.Sub(a.st.AboveSince) >= seconds(p.UpscaleDelaySeconds) {
			a.st = State{Target: wanted}
		}
	case wanted < a.st.Target:
		a.st.AboveSince = time.Time{}
		if a.st.BelowSince.IsZero() {
			a.st.BelowSince = now
		}
		if now.Sub(a.st.BelowSince) >= seconds(p.DownscaleDelaySeconds) {
			a.st = State{Target: wanted}
		}
	default:
		a.st.AboveSince, a.st.BelowSince = time.Time{}, time.Time{}
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// decide is SkyServe's fallback rule: spot target = target + overprovision
// − base on-demand; on-demand = base + (dynamic fallback ? max(0, spot
// target − ready spot) : 0), capped at target so over-provisioned spot
// replicas never get on-demand stand-ins.
func (a *Autoscaler) decide(replicas []Replica) Decision {
	p := a.policy
	d := Decision{Target: a.st.Target}
	var spot, od []Replica
	readySpot := 0
	seen := map[int]bool{}
	for _, r := range replicas {
		if r.Version != a.opts.Version {
			continue
		}
		if r.Spot {
			seen[r.ID] = true
			spot = append(spot, r)
			if r.Ready {
				readySpot++
			}
		} else {
			od = append(od, r)
		}
	}
	for id := range a.prevSpot {
		if !seen[id] && !a.lastDown[id] {
			a.st.LastSpotLoss = a.opts.Now()
		}
	}
	a.prevSpot = seen
	defer func() {
		a.lastDown = map[int]bool{}
		for _, id := range d.ScaleDown {
			a.lastDown[id] = true
		}
	}()
	final := d.Target
	if d.Target > 0 {
		final += p.NumOverprovision
	}
	switch {
	case !a.opts.Spot:
		d.OnDemandTarget = final
	case !p.UseOnDemandFallback():
		d.SpotTarget = final
	default:
		d.SpotTarget = max(0, final-p.BaseOnDemandFallbackReplicas)
		d.OnDemandTarget = p.BaseOnDemandFallbackReplicas
		if p.DynamicOnDemandFallback {
			d.OnDemandTarget += max(0, d.SpotTarget-readySpot)
		}
		d.OnDemandTarget = min(d.OnDemandTarget, d.Target)
		if hold := a.opts.FallbackHold; hold > 0 && len(od) > d.OnDemandTarget &&
			!a.st.LastSpotLoss.IsZero() && a.opts.Now().Sub(a.st.LastSpotLoss) < hold {
			d.OnDemandTarget = min(len(od), d.Target)
		}
	}
	for _, k := range []struct {
		have   []Replica
		target int
		spot   bool
	}{{spot, d.SpotTarget, true}, {od, d.OnDemandTarget, false}} {
		for i := len(k.have); i < k.target; i++ {
			d.Launch = append(d.Launch, Launch{Spot: k.spot})
		}
		if n := len(k.have) - k.target; n > 0 {
			d.ScaleDown = append(d.ScaleDown, pickScaleDown(k.have, n)...)
		}
	}
	return d
}

// pickScaleDown chooses n replicas to stop: not-ready ones first, then idle
// ones (no in-flight requests), newest (highest ID) first within each.
func pickScaleDown(rs []Replica, n int) []int {
	c := append([]Replica(nil), rs...)
	sort.SliceStable(c, func(i, j int) bool {
		a, b := c[i], c[j]
		if a.Ready != b.Ready {
			return !a.Ready
		}
		if (a.InFlight > 0) != (b.InFlight > 0) {
			return a.InFlight == 0
		}
		return a.ID > b.ID
	})
	ids := make([]int, 0, n)
	for _, r := range c[:n] {
		ids = append(ids, r.ID)
	}
	return ids
}
