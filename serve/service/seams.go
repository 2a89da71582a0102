// Package service is the service controller: a level-triggered,
// idempotent reconcile loop over the services in state (SkyServe's
// controller). Each Reconcile compares what the service wants (the
// autoscaler's replica counts for its newest version, the update mode, a
// pending `serve down`) with what state and the replica clusters say, and
// takes the steps that close the gap, writing every transition to state
// before acting. It holds no state that a restart cannot rebuild: a
// controller killed with -9 picks up from state.db and the cluster records.
//
// The load balancer of each service runs in the controller's process; the
// controller tells it the moment a replica is gone.
package service

import (
	"net"
	"time"

	"github.com/skyplan/skyplan/serve/replica"
	"github.com/skyplan/skyplan/task"
)

// Balancer is one service's load balancer as the controller drives it.
type Balancer interface {
	// SetReplicas replaces the rotation with urls (idempotent; called
	// every reconcile).
	SetReplicas(urls []string)
	// Remove takes url out of rotation at once (a replica is gone).
	Remove(url string)
	// Replicas is the rotation now.
	Replicas() []string
	// InFlight is the number of requests url is serving (drain).
	InFlight(url string) int
	// Serve serves on l until Close.
	Serve(l net.Listener) error
	Close() error
}

// ScaleReplica is one live replica as the autoscaler sees it.
type ScaleReplica struct {
	ID, Version int
	Spot, Ready bool
	// InFlight requests the load balancer has open to it.
	InFlight int
}

// Scaler decides how many replicas the newest version wants.
type Scaler interface {
	// Target returns the number of spot and on-demand replicas of the
	// newest version wanted at now, given every live replica.
	Target(now time.Time, replicas []ScaleReplica) (spot, onDemand int)
}

// PersistentScaler is a Scaler whose state survives a restart.
type PersistentScaler interface {
	Scaler
	Snapshot() []byte
	Restore(b []byte) error
}

// Placer chooses spot locations (the SkyServe spot placer).
type Placer interface {
	// Next returns where the next spot replica goes given the locations in
	// use, or nil to let the optimizer choose.
	Next(inUse []replica.Location) *replica.Location
	// Preempted marks a location after a preemption or a failed launch.
	Preempted(loc replica.Location)
	// Active marks a location good again (a replica there became ready).
	Active(loc replica.Location)
}

// PersistentPlacer is a Placer whose location states survive a restart.
type PersistentPlacer interface {
	Placer
	Snapshot() []byte
	Restore(b []byte) error
}

// Spec is what the controller needs from one version's task.
type Spec struct {
	// Version is the service version this spec is of.
	Version int
	Task    *task.Task
	Port    int
	Probe   replica.Probe
	Policy  replica.Policy
	// ProbeInterval between readiness probes of one replica (default
	// DefaultProbeInterval).
	ProbeInterval time.Duration
	// Min and Max replicas (fixed: Min == Max).
	Min, Max int
	// UseSpot: the task asks for spot replicas (with fallback rules).
	UseSpot bool
	// LoadBalancingPolicy: least_load (default) or round_robin.
	LoadBalancingPolicy string
	// StreamTimeout is load_balancer.stream_timeout_seconds (0: the
	// controller's default, ServeComponents.StreamTimeout).
	StreamTimeout time.Duration
	// TLS key and certificate files ("" = plain HTTP).
	TLSKeyFile, TLSCertFile string
}

// Components builds one service's load balancer, autoscaler and placer from
// its newest version (the serve packages in production; fakes in tests).
type Components interface {
	Balancer(s *Spec, logf func(string, ...any)) (Balancer, error)
	Scaler(s *Spec, lb Balancer) Scaler
	Placer(s *Spec) Placer
}
