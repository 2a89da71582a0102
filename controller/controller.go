package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/skyplan/skyplan/state"
)

// Reconciler is one kind of controlled object (managed jobs, services)
// hosted by the daemon. See the package documentation for the rules.
type Reconciler interface {
	// Name identifies the reconciler in logs ("jobs", "serve").
	Name() string
	// Reconcile runs one level-triggered, idempotent pass over every object
	// the reconciler owns. It should return within a second or so; long
	// work belongs in goroutines bound to ctx, which is cancelled when the
	// daemon shuts down.
	Reconcile(ctx context.Context) error
	// Active reports whether any object still needs the controller (a
	// non-terminal job, a service not torn down) or work is in flight.
	Active(ctx context.Context) (bool, error)
	// Close waits for the reconciler's goroutines after the Reconcile ctx
	// was cancelled, and releases what it holds.
	Close() error
}

// Env is what the daemon gives every reconciler.
type Env struct {
	// Home is $SKYPLAN_HOME.
	Home string
	// Store is the open state.db, shared by every reconciler.
	Store *state.Store
	// Clock is the time source; tests pass a FakeClock.
	Clock Clock
	// Log is the daemon log (controller.log), one logger per reconciler
	// (its "reconciler" attribute is set).
	Log *slog.Logger

	wake chan struct{}
}

// Wake asks the daemon for an early Reconcile pass (e.g. after a
// reconciler's goroutine finished an operation). It never blocks.
func (e *Env) Wake() {
	if e == nil || e.wake == nil {
		return
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Factory builds a reconciler for one daemon run.
type Factory func(env *Env) (Reconciler, error)

var (
	regMu    sync.Mutex
	registry = map[string]Factory{}
)

// Register makes a reconciler kind part of every daemon started in this
// binary. Call it from an init function; a second registration of the
// same name panics (a programming error).
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("controller: reconciler " + name + " registered twice")
	}
	registry[name] = f
}

// Registered returns the registered factories in name order.
func Registered() []NamedFactory {
	regMu.Lock()
	defer regMu.Unlock()
	var out []NamedFactory
	for n, f := range registry {
		out = append(out, NamedFactory{n, f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NamedFactory is a Factory with the name it was registered under.
type NamedFactory struct {
	Name    string
	Factory Factory
}

// Options tune one daemon run.
type Options struct {
	Home  string
	Store *state.Store
	Clock Clock        // default: the real clock
	Log   *slog.Logger // default: discard
	// Reconcilers to host (default: every Registered factory).
	Reconcilers []NamedFactory
	// Tick between Reconcile passes (default 1 s).
	Tick time.Duration
	// IdleExit: exit after every reconciler was inactive this long
	// (default 10 s; negative = never exit while ctx lives).
	IdleExit time.Duration
	// Instance, when set, is the daemon's lock: on idle exit the loop
	// releases it and then looks once more for work a client wrote while
	// the daemon was deciding to exit (see Instance.Release).
	Instance *Instance
}

// Loop hosts the reconcilers until ctx is cancelled or everything stayed
// inactive for IdleExit. It returns the first error building a reconciler;
// errors of individual passes are logged and retried next tick.
func Loop(ctx context.Context, opts Options) error {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.IdleExit == 0 {
		opts.IdleExit = 10 * time.Second
	}
	facts := opts.Reconcilers
	if facts == nil {
		facts = Registered()
	}
	wake := make(chan struct{}, 1)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var recs []Reconciler
	defer func() {
		cancel()
		for _, r := range recs {
			if err := r.Close(); err != nil {
				opts.Log.Error("closing reconciler", "reconciler", r.Name(), "err", err)
			}
		}
	}()
	for _, nf := range facts {
		env := &Env{Home: opts.Home, Store: opts.Store, Clock: opts.Clock,
			Log: opts.Log.With("reconciler", nf.Name), wake: wake}
		r, err := nf.Factory(env)
		if err != nil {
			return fmt.Errorf("starting the %s reconciler: %w", nf.Name, err)
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return errors.New("controller: no reconcilers to host")
	}
	anyActive := func() bool {
		active := false
		for _, r := range recs {
			a, err := r.Active(runCtx)
			if err != nil {
				// Unknown is active: never exit on a read error.
				opts.Log.Error("activity check failed", "reconciler", r.Name(), "err", err)
				a = true
			}
			active = active || a
		}
		return active
	}
	idleSince := opts.Clock.Now()
	for {
		for _, r := range recs {
			if err := r.Reconcile(runCtx); err != nil && runCtx.Err() == nil {
				opts.Log.Error("reconcile pass failed", "reconciler", r.Name(), "err", err)
			}
		}
		now := opts.Clock.Now()
		if anyActive() {
			idleSince = now
		} else if opts.IdleExit > 0 && now.Sub(idleSince) >= opts.IdleExit {
			if opts.Instance == nil || !opts.Instance.handover(anyActive) {
				opts.Log.Info("nothing active; controller exiting")
				return nil
			}
			opts.Log.Info("new work arrived while exiting; carrying on")
			idleSince = now
		}
		select {
		case <-ctx.Done():
			opts.Log.Info("controller stopping", "reason", ctx.Err())
			return nil
		case <-wake:
		case <-opts.Clock.After(opts.Tick):
		}
	}
}
