package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/skyplan/skyplan/controller"
)

// DefaultTick is how often the service controller reconciles inside the
// daemon. It is shorter than the daemon's own tick because a replica that
// died must leave the load balancer's rotation within about a second:
// detection is the probe interval plus at most one tick.
const DefaultTick = 250 * time.Millisecond

// Reconciler hosts a Controller in the shared controller daemon. Service
// passes probe replicas with the services' own timeouts, so they run in a
// loop goroutine of their own at Tick: the daemon's Reconcile only makes
// sure that loop runs (the jobs reconciler in the same daemon is never
// held up by a slow probe).
type Reconciler struct {
	ctl   *Controller
	log   *slog.Logger
	clock controller.Clock
	Tick  time.Duration

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// NewReconciler wraps c for the daemon.
func NewReconciler(c *Controller, env *controller.Env) *Reconciler {
	r := &Reconciler{ctl: c, log: slog.New(slog.DiscardHandler), clock: controller.RealClock{}, Tick: DefaultTick}
	if env != nil && env.Log != nil {
		r.log = env.Log
	}
	if env != nil && env.Clock != nil {
		r.clock = env.Clock
	}
	return r
}

func (r *Reconciler) Name() string { return "serve" }

// Reconcile starts the service loop bound to ctx unless it runs.
func (r *Reconciler) Reconcile(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running || ctx.Err() != nil {
		return nil
	}
	r.running = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			r.running = false
			r.mu.Unlock()
		}()
		for ctx.Err() == nil {
			if err := r.ctl.Reconcile(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("serve pass failed", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-r.clock.After(r.Tick):
			}
		}
	}()
	return nil
}

// Active: any service recorded (one being taken down included) needs the
// controller, as does any launch or teardown still running.
func (r *Reconciler) Active(ctx context.Context) (bool, error) {
	svcs, err := r.ctl.o.Store.ListServices()
	if err != nil {
		return true, err
	}
	return len(svcs) > 0 || r.ctl.mgr.Running() > 0, nil
}

// Close waits for the loop (its ctx was cancelled by the daemon) and
// stops the load balancers; replicas keep running for the next daemon.
func (r *Reconciler) Close() error {
	r.wg.Wait()
	return r.ctl.Close()
}
