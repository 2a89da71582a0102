// Package controller is skyplan's long-running controller daemon: one
// detached process per $SKYPLAN_HOME that hosts the reconcile loops of
// managed jobs (package jobs) and services (package serve).
//
// # Joining the daemon
//
// A controller kind implements Reconciler and registers a Factory from its
// package's init (or the daemon main passes it in Options.Reconcilers):
//
//	func init() {
//		controller.Register("serve", func(env *controller.Env) (controller.Reconciler, error) {
//			return newServeController(env), nil
//		})
//	}
//
// The daemon calls every reconciler's Reconcile each Options.Tick (1 s by
// default; Env.Wake() asks for an early pass) and exits once every
// reconciler has reported Active == false for Options.IdleExit. Reconcile
// is level-triggered: it reads the durable state (state.db), compares what
// should exist with what does, and acts; it must be idempotent, because a
// pass can be repeated after a crash at any point. Long operations
// (terraform apply, a multi-minute setup) run in goroutines the reconciler
// owns and bounds by the ctx given to Reconcile (cancelled at shutdown);
// Close waits for them.
//
// # Safety rules for reconcilers
//
//   - Write every state transition to state.db before acting on it, so a
//     `kill -9` between the write and the action is repaired by the next
//     pass of the next daemon (the action is retried, never duplicated:
//     actions must be keyed by something durable, e.g. a per-attempt
//     cluster name whose Terraform state says what exists).
//   - Use Env.Clock for every wait and timestamp so tests drive time.
//   - Never assume the previous daemon finished anything it started.
//
// # Process
//
// Files under $SKYPLAN_HOME/controller/: controller.lock (an flock held
// for the daemon's life: the single-instance guarantee), controller.pid,
// controller.log (the daemon's stderr and slog output). EnsureRunning
// (called by `skyplan jobs launch` and `skyplan serve up` after they have
// written their record) starts `skyplan controller run` detached (new
// session, stdin /dev/null) when no daemon holds the lock.
package controller
