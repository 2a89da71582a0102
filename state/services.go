package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The service controller's durable state (SkyServe's services.db): one row
// per service, per service version (the task YAML of each `serve up` /
// `serve update`) and per replica. The controller writes every transition
// here before acting on it, so a controller killed with -9 resumes from
// these rows and the replica clusters' own records.
const servicesSchema = `
CREATE TABLE IF NOT EXISTS services (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS service_versions (
  service TEXT NOT NULL,
  version INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (service, version)
);
CREATE TABLE IF NOT EXISTS replicas (
  service TEXT NOT NULL,
  id INTEGER NOT NULL,
  status TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (service, id)
);
`

// ServiceStatus is a service's state, as SkyServe's ServiceStatus.
type ServiceStatus string

const (
	ServiceControllerInit ServiceStatus = "CONTROLLER_INIT"
	ServiceReplicaInit    ServiceStatus = "REPLICA_INIT"
	ServiceReady          ServiceStatus = "READY"
	ServiceNoReplica      ServiceStatus = "NO_REPLICA"
	ServiceShuttingDown   ServiceStatus = "SHUTTING_DOWN"
	ServiceFailed         ServiceStatus = "FAILED"
	ServiceFailedCleanup  ServiceStatus = "FAILED_CLEANUP"
)

// Service is one service's record.
type Service struct {
	Name   string        `json:"name"`
	Status ServiceStatus `json:"status"`
	// Version is the newest version (the one being rolled out or live).
	Version int `json:"version"`
	// UpdateMode is how Version replaces older versions: rolling or blue_green.
	UpdateMode string `json:"update_mode,omitempty"`
	// Endpoint is the load balancer's URL once it listens; LBPort the
	// port it was given (kept across controller restarts).
	Endpoint  string    `json:"endpoint,omitempty"`
	LBPort    int       `json:"lb_port,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// DownRequested is set by `serve down`; the controller drains and
	// tears down every replica, then deletes the service.
	DownRequested bool `json:"down_requested,omitempty"`
	// NextReplicaID is the id the next replica gets (ids never reused).
	NextReplicaID int `json:"next_replica_id"`
	// Message explains a FAILED status.
	Message string `json:"message,omitempty"`
	// ScalerState is the autoscaler's target and hysteresis timers, so a
	// restarted controller neither drops a scaled-up service to
	// min_replicas nor restarts its delays.
	ScalerState json.RawMessage `json:"scaler_state,omitempty"`
	// PlacerState is the spot placer's ACTIVE/PREEMPTED locations.
	PlacerState json.RawMessage `json:"placer_state,omitempty"`
}

// ServiceVersion is the task of one version of a service.
type ServiceVersion struct {
	Service  string `json:"service"`
	Version  int    `json:"version"`
	TaskYAML string `json:"task_yaml"` // the service YAML as submitted
	TaskPath string `json:"task_path"` // where it was read from (diagnostics)
	// Cwd is the directory `serve up` ran in: relative local paths of the
	// task resolve against it (as SkyPilot resolves them against the
	// client's working directory), not against the controller's.
	Cwd string `json:"cwd,omitempty"`
	// Envs are --env overrides as K=V (bare names resolved by the CLI),
	// EnvFiles absolute --env-file paths. --secret values are never
	// stored here: they live in a 0600 file beside the service's logs.
	Envs     []string  `json:"envs,omitempty"`
	EnvFiles []string  `json:"env_files,omitempty"`
	Mode     string    `json:"mode,omitempty"`
	At       time.Time `json:"at"`
	// Uploads: a service forwarded to a controller VM had its local
	// sources copied there; task field ("workdir", "file_mounts.DST",
	// "file_mounts.DST.source.N") → the copy's path on the VM.
	Uploads map[string]string `json:"uploads,omitempty"`
}

// ReplicaStatus is a replica's state, as SkyServe's ReplicaStatus.
type ReplicaStatus string

const (
	ReplicaPending         ReplicaStatus = "PENDING"
	ReplicaProvisioning    ReplicaStatus = "PROVISIONING"
	ReplicaStarting        ReplicaStatus = "STARTING"
	ReplicaReady           ReplicaStatus = "READY"
	ReplicaNotReady        ReplicaStatus = "NOT_READY"
	ReplicaShuttingDown    ReplicaStatus = "SHUTTING_DOWN"
	ReplicaFailed          ReplicaStatus = "FAILED"
	ReplicaFailedProbing   ReplicaStatus = "FAILED_PROBING"
	ReplicaFailedProvision ReplicaStatus = "FAILED_PROVISION"
	ReplicaFailedCleanup   ReplicaStatus = "FAILED_CLEANUP"
	ReplicaPreempted       ReplicaStatus = "PREEMPTED"
)

// Terminal reports whether a replica in st has no resources left and will
// not change again (it stays listed so users see why it ended).
func (st ReplicaStatus) Terminal() bool {
	switch st {
	case ReplicaFailed, ReplicaFailedProbing, ReplicaFailedProvision, ReplicaFailedCleanup, ReplicaPreempted:
		return true
	}
	return false
}

// Replica is one replica's record. Cluster is the name of the cluster the
// replica runs on; it is written before the cluster is launched so a
// restarted controller can always find (and tear down) what it started.
type Replica struct {
	Service   string        `json:"service"`
	ID        int           `json:"id"`
	Version   int           `json:"version"`
	Status    ReplicaStatus `json:"status"`
	Cluster   string        `json:"cluster"`
	Cloud     string        `json:"cloud,omitempty"`
	Region    string        `json:"region,omitempty"`
	Zone      string        `json:"zone,omitempty"`
	UseSpot   bool          `json:"use_spot"`
	Resources string        `json:"resources,omitempty"` // e.g. "1x m6i.large"
	IP        string        `json:"ip,omitempty"`
	URL       string        `json:"url,omitempty"` // what the LB and the prober reach
	// LaunchedAt is when the launch was started, StartingAt when the
	// cluster came up (the initial delay counts from here), ReadyAt the
	// first successful probe, ChangedAt the last status change.
	LaunchedAt time.Time `json:"launched_at"`
	StartingAt time.Time `json:"starting_at"`
	ReadyAt    time.Time `json:"ready_at"`
	ChangedAt  time.Time `json:"changed_at"`
	// ConsecutiveFailures counts failed probes since the last success;
	// FirstFailureAt is when that run of failures began.
	ConsecutiveFailures int       `json:"consecutive_failures,omitempty"`
	FirstFailureAt      time.Time `json:"first_failure_at"`
	LastProbeError      string    `json:"last_probe_error,omitempty"`
	// Reason says why a replica ended (failed launch text, probe error,
	// "preempted", "scaled down").
	Reason string `json:"reason,omitempty"`
	// Draining: set with SHUTTING_DOWN; DrainUntil bounds the drain.
	DrainUntil time.Time `json:"drain_until"`
	// Terminate: the replica should go (scale-down, update, down); the
	// controller drains it then tears its cluster down.
	Terminate bool `json:"terminate,omitempty"`
	// Purge: remove the record once the cluster is down (scale-down);
	// otherwise the final status is kept for `serve status`.
	Purge bool `json:"purge,omitempty"`
	// FinalStatus is the status to record once the cluster is down.
	FinalStatus ReplicaStatus `json:"final_status,omitempty"`
}

// ErrServiceExists is returned by CreateService for a name in use.
var ErrServiceExists = errors.New("service already exists")

// CreateService records a new service and its version 1 atomically.
func (s *Store) CreateService(svc *Service, v ServiceVersion) error {
	return s.immediate(func(tx execer) error { return createService(tx, svc, v) })
}

func createService(tx execer, svc *Service, v ServiceVersion) error {
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM services WHERE name=?`, svc.Name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("service %q: %w", svc.Name, ErrServiceExists)
	}
	if err := putService(tx, svc); err != nil {
		return err
	}
	return putVersion(tx, v)
}

// AddServiceVersion records a new version and makes it the service's
// current one (serve update).
func (s *Store) AddServiceVersion(name string, v ServiceVersion, mode string) (int, error) {
	var version int
	err := s.immediate(func(tx execer) error {
		svc, err := getService(tx, name)
		if err != nil {
			return err
		}
		if svc.DownRequested {
			return fmt.Errorf("service %q is shutting down", name)
		}
		svc.Version++
		svc.UpdateMode = mode
		v.Service, v.Version, v.Mode = name, svc.Version, mode
		if err := putVersion(tx, v); err != nil {
			return err
		}
		version = svc.Version
		return putService(tx, svc)
	})
	return version, err
}

// immediate runs f in a BEGIN IMMEDIATE transaction: the write lock is
// taken before the reads, so the busy timeout applies. (A deferred
// transaction that reads and then writes fails with SQLITE_BUSY at once
// when another process wrote in between: the CLI and the controller both
// write services.)
func (s *Store) immediate(f func(tx execer) error) error {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if err := f(connTx{ctx, conn}); err != nil {
		conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	return nil
}

type connTx struct {
	ctx  context.Context
	conn *sql.Conn
}

func (c connTx) Exec(q string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(c.ctx, q, args...)
}
func (c connTx) QueryRow(q string, args ...any) *sql.Row {
	return c.conn.QueryRowContext(c.ctx, q, args...)
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

func putService(db execer, svc *Service) error {
	data, err := json.Marshal(svc)
	if err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO services(name,status,data,updated_at) VALUES(?,?,?,?)
	  ON CONFLICT(name) DO UPDATE SET status=excluded.status, data=excluded.data, updated_at=excluded.updated_at`,
		svc.Name, string(svc.Status), string(data), time.Now().UnixNano())
	return err
}

func putVersion(db execer, v ServiceVersion) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO service_versions(service,version,data) VALUES(?,?,?)
	  ON CONFLICT(service,version) DO UPDATE SET data=excluded.data`, v.Service, v.Version, string(data))
	return err
}

func getService(db execer, name string) (*Service, error) {
	var data string
	err := db.QueryRow(`SELECT data FROM services WHERE name=?`, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("service %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var svc Service
	if err := json.Unmarshal([]byte(data), &svc); err != nil {
		return nil, fmt.Errorf("service %q: corrupt record: %w", name, err)
	}
	return &svc, nil
}

// PutService writes a service record.
func (s *Store) PutService(svc *Service) error { return putService(s.db, svc) }

// GetService returns the named service or ErrNotFound.
func (s *Store) GetService(name string) (*Service, error) { return getService(s.db, name) }

// UpdateService applies f to the current record inside one transaction
// (so `serve down` from the CLI and the controller's writes do not lose
// each other's fields).
func (s *Store) UpdateService(name string, f func(*Service) error) (*Service, error) {
	var out *Service
	err := s.immediate(func(tx execer) error {
		svc, err := getService(tx, name)
		if err != nil {
			return err
		}
		if err := f(svc); err != nil {
			return err
		}
		out = svc
		return putService(tx, svc)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListServices returns every service by name.
func (s *Store) ListServices() ([]*Service, error) {
	rows, err := s.db.Query(`SELECT data FROM services ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Service
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var svc Service
		if err := json.Unmarshal([]byte(data), &svc); err != nil {
			return nil, err
		}
		out = append(out, &svc)
	}
	return out, rows.Err()
}

// DeleteService removes a service, its versions and replica records (after
// every replica cluster is down).
func (s *Store) DeleteService(name string) error {
	return s.immediate(func(tx execer) error {
		for _, q := range []string{`DELETE FROM replicas WHERE service=?`, `DELETE FROM service_versions WHERE service=?`, `DELETE FROM services WHERE name=?`} {
			if _, err := tx.Exec(q, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetServiceVersion returns one version of a service.
func (s *Store) GetServiceVersion(name string, version int) (ServiceVersion, error) {
	var data string
	err := s.db.QueryRow(`SELECT data FROM service_versions WHERE service=? AND version=?`, name, version).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return ServiceVersion{}, fmt.Errorf("service %q version %d: %w", name, version, ErrNotFound)
	}
	if err != nil {
		return ServiceVersion{}, err
	}
	var v ServiceVersion
	err = json.Unmarshal([]byte(data), &v)
	return v, err
}

// AllocateReplica reserves the service's next replica id and records the
// replica PENDING in one transaction.
func (s *Store) AllocateReplica(service string, r *Replica) error {
	return s.immediate(func(tx execer) error { return allocateReplica(tx, service, r) })
}

func allocateReplica(tx execer, service string, r *Replica) error {
	svc, err := getService(tx, service)
	if err != nil {
		return err
	}
	svc.NextReplicaID++
	r.Service, r.ID = service, svc.NextReplicaID
	if r.Cluster == "" {
		// SkyServe's replica cluster name: <service>-<replica id>.
		r.Cluster = fmt.Sprintf("%s-%d", service, r.ID)
	}
	if r.Status == "" {
		r.Status = ReplicaPending
	}
	if err := putService(tx, svc); err != nil {
		return err
	}
	return putReplica(tx, r)
}

func putReplica(db execer, r *Replica) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO replicas(service,id,status,data,updated_at) VALUES(?,?,?,?,?)
	  ON CONFLICT(service,id) DO UPDATE SET status=excluded.status, data=excluded.data, updated_at=excluded.updated_at`,
		r.Service, r.ID, string(r.Status), string(data), time.Now().UnixNano())
	return err
}

// PutReplica writes a replica record.
func (s *Store) PutReplica(r *Replica) error { return putReplica(s.db, r) }

// DeleteReplica removes a replica record.
func (s *Store) DeleteReplica(service string, id int) error {
	_, err := s.db.Exec(`DELETE FROM replicas WHERE service=? AND id=?`, service, id)
	return err
}

// ListReplicas returns a service's replicas by id.
func (s *Store) ListReplicas(service string) ([]*Replica, error) {
	rows, err := s.db.Query(`SELECT data FROM replicas WHERE service=? ORDER BY id`, service)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Replica
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var r Replica
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}
