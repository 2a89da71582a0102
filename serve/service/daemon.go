package service

import (
	"context"
	"log/slog"
	"sync"

	"github.com/skyplan/skyplan/controller"
)

// Reconciler hosts a Controller in the shared controller daemon. The
// daemon calls Reconcile every tick; a service pass probes replicas with
// the services' own timeouts, so it runs in a goroutine and a tick that
// finds the previous pass still running returns at once (the jobs
// reconciler in the same daemon is never held up by a slow probe).
type Reconciler struct {
	ctl *Controller
	log *slog.Logger
	env *controller.Env

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// NewReconciler wraps c for the daemon.
func NewReconciler(c *Controller, env *controller.Env) *Reconciler {
	log := slog.New(slog.DiscardHandler)
	if env != nil && env.Log != nil {
		log = env.Log
	}
	return &Reconciler{ctl: c, log: log, env: env}
}

func (r *Reconciler) Name() string { return "serve" }

func (r *Reconciler) Reconcile(ctx context.Context) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return nil
	}
	r.running = true
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		err := r.ctl.Reconcile(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("serve pass failed", "err", err)
		}
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
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

func (r *Reconciler) Close() error {
	r.wg.Wait()
	return r.ctl.Close()
}
