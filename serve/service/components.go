package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net"
	"net/url"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/serve/autoscale"
	"github.com/skyplan/skyplan/serve/lb"
	"github.com/skyplan/skyplan/serve/placer"
	"github.com/skyplan/skyplan/serve/replica"
)

// ServeComponents builds the real load balancer (serve/lb), autoscaler
// (serve/autoscale, with SkyServe's fallback rule) and spot placer
// (serve/placer) of a service.
type ServeComponents struct {
	// Now is the clock of the LB's request window and the autoscaler.
	Now func() time.Time
	// Optimize plans a task (the spot placer's candidate locations);
	// nil: spot replicas go where the optimizer picks at launch.
	Optimize func(s *Spec) (*optimizer.TaskPlan, diag.Diagnostics)
	// QueueTimeout: how long a request waits while no replica is ready
	// (0: the LB's default, 120 s).
	QueueTimeout time.Duration
	// Window is the request-rate window (0: SkyServe's 60 s).
	Window time.Duration
	// StreamTimeout bounds one proxied request when the service sets no
	// load_balancer.stream_timeout_seconds (0: no bound).
	StreamTimeout time.Duration
	// FallbackHold keeps fallback on-demand replicas until spot has been
	// quiet this long (serve.fallback_hold_seconds; 0: SkyServe's rule,
	// drained as soon as spot is ready).
	FallbackHold time.Duration
	// ReplicaProxy, when set, is how the load balancer reaches replicas
	// (serve.replica_proxy).
	ReplicaProxy *url.URL
}

// Balancer implements Components.
func (c ServeComponents) Balancer(s *Spec, logf func(string, ...any)) (Balancer, error) {
	stream := s.StreamTimeout
	if stream <= 0 {
		stream = c.StreamTimeout
	}
	b, err := lb.New(lb.Options{Policy: s.LoadBalancingPolicy, CertFile: s.TLSCertFile, KeyFile: s.TLSKeyFile,
		Now: c.Now, QueueTimeout: c.QueueTimeout, StreamTimeout: stream, Window: c.Window, Proxy: c.ReplicaProxy,
		ErrorLog: log.New(logWriter(logf), "", 0)})
	if err != nil {
		return nil, err
	}
	return &balancer{lb: b, logf: logf}, nil
}

type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("%s", string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// balancer adapts *lb.LoadBalancer to Balancer and logs rotation changes.
type balancer struct {
	lb   *lb.LoadBalancer
	logf func(string, ...any)
}

func (b *balancer) SetReplicas(urls []string) {
	before := fmt.Sprint(b.lb.Replicas())
	if err := b.lb.SetReplicas(urls); err != nil {
		b.logf("setting replicas %v: %v", urls, err)
	}
	if after := fmt.Sprint(b.lb.Replicas()); after != before {
		b.logf("rotation: %s", after)
	}
}

func (b *balancer) Remove(url string) {
	for _, u := range b.lb.Replicas() {
		if u == url {
			b.lb.RemoveReplica(url)
			b.logf("removed %s from rotation", url)
			return
		}
	}
}

func (b *balancer) Replicas() []string         { return b.lb.Replicas() }
func (b *balancer) InFlight(url string) int    { return b.lb.Stats().PerReplica[url] }
func (b *balancer) Serve(l net.Listener) error { return b.lb.Serve(l) }
func (b *balancer) Close() error               { return b.lb.Shutdown(closeCtx()) }

// Scaler implements Components: SkyServe's request-rate autoscaler fed by
// the load balancer's window.
func (c ServeComponents) Scaler(s *Spec, b Balancer) Scaler {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	a := autoscale.New(s.Task.Service.Replicas, autoscale.Options{Spot: s.UseSpot, Now: now, Version: s.Version, Window: c.Window,
		FallbackHold: c.FallbackHold})
	sc := &scaler{a: a}
	if bb, ok := b.(*balancer); ok {
		sc.lb = bb.lb
	}
	return sc
}

// Snapshot and Restore persist the autoscaler's State.
func (s *scaler) Snapshot() []byte {
	b, _ := json.Marshal(s.a.State())
	return b
}

func (s *scaler) Restore(b []byte) error {
	var st autoscale.State
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	s.a.Restore(st)
	return nil
}

type scaler struct {
	a  *autoscale.Autoscaler
	lb *lb.LoadBalancer
}

func (s *scaler) Target(now time.Time, reps []ScaleReplica) (int, int) {
	var load autoscale.Load
	if s.lb != nil {
		st := s.lb.Stats()
		load = autoscale.Load{Requests: st.Requests, Window: st.Window, InFlight: st.InFlight}
	}
	var ar []autoscale.Replica
	for _, r := range reps {
		ar = append(ar, autoscale.Replica{ID: r.ID, Version: r.Version, Spot: r.Spot, Ready: r.Ready, InFlight: r.InFlight})
	}
	d := s.a.Evaluate(load, ar)
	return d.SpotTarget, d.OnDemandTarget
}

// Placer implements Components: the dynamic_fallback spot placer over the
// optimizer's spot placements (one location per zone), for spot services.
func (c ServeComponents) Placer(s *Spec) Placer {
	if !s.UseSpot || c.Optimize == nil {
		return nilPlacer{}
	}
	plan, ds := c.Optimize(s)
	if ds.HasErrors() || plan == nil {
		return nilPlacer{}
	}
	var spots []optimizer.Placement
	for _, p := range plan.Candidates {
		if p.UseSpot {
			spots = append(spots, p)
		}
	}
	if len(spots) == 0 {
		return nilPlacer{}
	}
	return &spotPlacer{p: placer.NewDynamicFallback(placer.FromPlacements(spots, placer.Zone))}
}

type spotPlacer struct{ p *placer.DynamicFallback }

func toPlacer(l replica.Location) placer.Location {
	return placer.Location{Cloud: l.Cloud, Region: l.Region, Zone: l.Zone}
}

func (s *spotPlacer) Next(inUse []replica.Location) *replica.Location {
	var locs []placer.Location
	for _, l := range inUse {
		locs = append(locs, toPlacer(l))
	}
	l, ok := s.p.Select(locs)
	if !ok {
		return nil
	}
	return &replica.Location{Cloud: l.Cloud, Region: l.Region, Zone: l.Zone, UseSpot: true}
}

// Snapshot and Restore persist the locations' states.
func (s *spotPlacer) Snapshot() []byte {
	b, _ := json.Marshal(s.p.Locations())
	return b
}

func (s *spotPlacer) Restore(b []byte) error {
	var ls []placer.LocationState
	if err := json.Unmarshal(b, &ls); err != nil {
		return err
	}
	s.p.Restore(ls)
	return nil
}

func (s *spotPlacer) Preempted(l replica.Location) { s.p.Preempted(toPlacer(l)) }
func (s *spotPlacer) Active(l replica.Location)    { s.p.Active(toPlacer(l)) }

// nilPlacer lets the optimizer choose every replica's location.
type nilPlacer struct{}

func (nilPlacer) Next([]replica.Location) *replica.Location { return nil }
func (nilPlacer) Preempted(replica.Location)                {}
func (nilPlacer) Active(replica.Location)                   {}

// closeCtx bounds a load balancer's shutdown (open requests finish or are
// cut after 5 s).
func closeCtx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	time.AfterFunc(5*time.Second, cancel)
	return ctx
}
