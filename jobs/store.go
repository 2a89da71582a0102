package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/skyplan/skyplan/state"
)

// Store keeps managed jobs and their attempts in state.db. Every method is
// one transaction, so a kill -9 leaves either the old or the new record.
type Store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS managed_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  failure_reason TEXT NOT NULL DEFAULT '',
  spec TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  recoveries INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS managed_job_attempts (
  job_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  cluster TEXT NOT NULL,
  phase TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, n)
);
CREATE TABLE IF NOT EXISTS managed_job_events (
  job_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status TEXT NOT NULL,
  message TEXT NOT NULL
);
`

// OpenStore creates the managed-job tables in st's database if needed.
func OpenStore(st *state.Store) (*Store, error) {
	if _, err := st.DB().Exec(schema); err != nil {
		return nil, fmt.Errorf("state.db: managed job tables: %w", err)
	}
	return &Store{db: st.DB()}, nil
}

// Job is one managed job.
type Job struct {
	ID              int64
	Name            string
	Status          Status
	FailureReason   string
	Spec            Spec
	SubmittedAt     time.Time
	StartedAt       *time.Time // first time RUNNING
	EndedAt         *time.Time
	Recoveries      int // every relaunch after the first attempt
	Restarts        int // relaunches counted against max_restarts_on_errors
	CancelRequested bool
}

// Attempt is one cluster the job ran (or tried to run) on.
type Attempt struct {
	JobID   int64  `json:"-"`
	N       int    `json:"-"` // 1-based
	Cluster string `json:"-"`
	Phase   Phase  `json:"-"`

	Cloud        string  `json:"cloud,omitempty"`
	Region       string  `json:"region,omitempty"`
	Zone         string  `json:"zone,omitempty"`
	InstanceType string  `json:"instance_type,omitempty"`
	UseSpot      bool    `json:"use_spot"`
	HourlyCost   float64 `json:"hourly_cost,omitempty"`
	NumNodes     int     `json:"num_nodes,omitempty"`
	// Blocked are the locations this attempt must not use (the regions
	// earlier attempts were preempted in).
	Blocked []Location `json:"blocked,omitempty"`
	// WantSpot is the spot/on-demand decision for this attempt (nil = the
	// task's own use_spot).
	WantSpot *bool `json:"want_spot,omitempty"`
	// NextSpot is the kind the next attempt must use when this one was
	// ended by the deadline policy mid-run (jobs/switch.go).
	NextSpot *bool `json:"next_spot,omitempty"`
	// SameRegionFirst (FAILOVER): try the previous attempt's region
	// before anything else.
	SameRegionFirst *Location  `json:"same_region_first,omitempty"`
	HeadJob         int        `json:"head_job,omitempty"`
	StartedAt       time.Time  `json:"started_at"`
	UpAt            *time.Time `json:"up_at,omitempty"`
	RunningAt       *time.Time `json:"running_at,omitempty"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	EndReason       string     `json:"end_reason,omitempty"`
	ExitCode        *int       `json:"exit_code,omitempty"`
	// Preempted: the attempt ended because the cloud took its instances
	// (EAGER_NEXT_REGION blocks its region for the next attempt).
	Preempted bool `json:"preempted,omitempty"`
	// Cleaned: every resource of the attempt's cluster is destroyed.
	Cleaned bool `json:"cleaned"`
	// Phases records how long each recovery phase took (benchmarks,
	// `jobs queue -o json`): detect, teardown, apply, setup.
	Phases map[string]float64 `json:"phase_seconds,omitempty"`
}

// Location is a cloud/region (zone optional) an attempt must avoid.
type Location struct {
	Cloud  string `json:"cloud"`
	Region string `json:"region,omitempty"`
	Zone   string `json:"zone,omitempty"`
}

// Cost of the attempt: hourly price × time from UpAt to EndedAt (or now).
func (a Attempt) Cost(now time.Time) float64 {
	if a.UpAt == nil {
		return 0
	}
	end := now
	if a.EndedAt != nil {
		end = *a.EndedAt
	}
	return a.HourlyCost * end.Sub(*a.UpAt).Hours()
}

// ErrNotFound is returned for an unknown job id.
var ErrNotFound = errors.New("no such managed job")

func nanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func fromNanos(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(0, v.Int64)
	return &t
}

// Add records a new PENDING job and returns its id.
func (s *Store) Add(name string, spec Spec, at time.Time) (int64, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.Exec(`INSERT INTO managed_jobs(name,status,spec,submitted_at,updated_at) VALUES(?,?,?,?,?)`,
		name, string(Pending), string(b), at.UnixNano(), at.UnixNano())
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(`INSERT INTO managed_job_events(job_id,at,status,message) VALUES(?,?,?,?)`,
		id, at.UnixNano(), string(Pending), "submitted"); err != nil {
		return 0, err
	}
	return id, tx.Commit()
}

const jobCols = `id,name,status,failure_reason,spec,submitted_at,started_at,ended_at,recoveries,restarts,cancel_requested`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var status, spec string
	var sub int64
	var started, ended sql.NullInt64
	var cancel int
	if err := row.Scan(&j.ID, &j.Name, &status, &j.FailureReason, &spec, &sub, &started, &ended,
		&j.Recoveries, &j.Restarts, &cancel); err != nil {
		return nil, err
	}
	j.Status, j.SubmittedAt = Status(status), time.Unix(0, sub)
	j.StartedAt, j.EndedAt, j.CancelRequested = fromNanos(started), fromNanos(ended), cancel != 0
	if err := json.Unmarshal([]byte(spec), &j.Spec); err != nil {
		return nil, fmt.Errorf("managed job %d: corrupt spec: %w", j.ID, err)
	}
	return &j, nil
}

// Get returns job id or ErrNotFound.
func (s *Store) Get(id int64) (*Job, error) {
	j, err := scanJob(s.db.QueryRow(`SELECT `+jobCols+` FROM managed_jobs WHERE id=?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	return j, err
}

// List returns every job, newest first.
func (s *Store) List() ([]*Job, error) {
	rows, err := s.db.Query(`SELECT ` + jobCols + ` FROM managed_jobs ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ActiveIDs are the jobs the controller still has work for: not terminal,
// or terminal with an attempt whose cluster is not yet destroyed.
func (s *Store) ActiveIDs() ([]int64, error) {
	rows, err := s.db.Query(`SELECT id FROM managed_jobs WHERE status NOT IN (?,?,?,?,?,?,?)
	  UNION SELECT DISTINCT job_id FROM managed_job_attempts WHERE json_extract(data,'$.cleaned') = 0
	  ORDER BY 1`,
		string(Succeeded), string(Failed), string(FailedSetup), string(FailedPrechecks),
		string(FailedNoResource), string(Cancelled), string(FailedController))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Transition moves job id to status (with reason for failures) and runs
// mutate on the record, and writes attempts, all in one transaction (so
// "attempt 2 ended" and "job RECOVERING" are never seen apart). It refuses
// to leave a terminal state, so a late writer cannot resurrect a job.
func (s *Store) Transition(id int64, to Status, reason string, at time.Time, mutate func(j *Job), attempts ...*Attempt) (*Job, error) {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before the read: a deferred
	// transaction that reads and then writes can fail with SQLITE_BUSY at
	// once (no busy wait) when another writer came in between.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	j, err := scanJob(conn.QueryRowContext(ctx, `SELECT `+jobCols+` FROM managed_jobs WHERE id=?`, id))
	if err != nil {
		return nil, err
	}
	if j.Status.Terminal() && to != j.Status {
		return j, fmt.Errorf("job %d is %s already; not moving it to %s", id, j.Status, to)
	}
	from := j.Status
	j.Status = to
	if to.Failure() || reason != "" {
		j.FailureReason = reason
	}
	if to == Running && j.StartedAt == nil {
		t := at
		j.StartedAt = &t
	}
	if to.Terminal() && j.EndedAt == nil {
		t := at
		j.EndedAt = &t
	}
	if mutate != nil {
		mutate(j)
	}
	tx := connExec{ctx, conn}
	_, err = tx.Exec(`UPDATE managed_jobs SET status=?, failure_reason=?, started_at=?, ended_at=?, recoveries=?, restarts=?, updated_at=? WHERE id=?`,
		string(j.Status), j.FailureReason, nanos(j.StartedAt), nanos(j.EndedAt), j.Recoveries, j.Restarts, at.UnixNano(), id)
	if err != nil {
		return nil, err
	}
	for _, a := range attempts {
		if err := putAttempt(tx, a); err != nil {
			return nil, err
		}
	}
	if from != to || reason != "" {
		if _, err := tx.Exec(`INSERT INTO managed_job_events(job_id,at,status,message) VALUES(?,?,?,?)`,
			id, at.UnixNano(), string(to), reason); err != nil {
			return nil, err
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	committed = true
	return j, nil
}

type connExec struct {
	ctx  context.Context
	conn *sql.Conn
}

func (c connExec) Exec(q string, args ...any) (sql.Result, error) {
	return c.conn.ExecContext(c.ctx, q, args...)
}

// RequestCancel marks a job for cancellation (the controller acts on it).
// It reports false for a job that has already ended.
func (s *Store) RequestCancel(id int64) (bool, error) {
	res, err := s.db.Exec(`UPDATE managed_jobs SET cancel_requested=1 WHERE id=? AND status NOT IN (?,?,?,?,?,?,?)`, id,
		string(Succeeded), string(Failed), string(FailedSetup), string(FailedPrechecks),
		string(FailedNoResource), string(Cancelled), string(FailedController))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// PutAttempt inserts or replaces an attempt.
func (s *Store) PutAttempt(a *Attempt) error { return putAttempt(s.db, a) }

func putAttempt(db interface {
	Exec(string, ...any) (sql.Result, error)
}, a *Attempt) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO managed_job_attempts(job_id,n,cluster,phase,data) VALUES(?,?,?,?,?)
	  ON CONFLICT(job_id,n) DO UPDATE SET cluster=excluded.cluster, phase=excluded.phase, data=excluded.data`,
		a.JobID, a.N, a.Cluster, string(a.Phase), string(b))
	return err
}

// Attempts returns a job's attempts in order.
func (s *Store) Attempts(id int64) ([]*Attempt, error) {
	rows, err := s.db.Query(`SELECT n,cluster,phase,data FROM managed_job_attempts WHERE job_id=? ORDER BY n`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Attempt
	for rows.Next() {
		a := &Attempt{JobID: id}
		var phase, data string
		if err := rows.Scan(&a.N, &a.Cluster, &phase, &data); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(data), a); err != nil {
			return nil, fmt.Errorf("job %d attempt %d: corrupt record: %w", id, a.N, err)
		}
		a.Phase = Phase(phase)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Event is one line of a job's history.
type Event struct {
	At      time.Time
	Status  Status
	Message string
}

// Events returns a job's history in order.
func (s *Store) Events(id int64) ([]Event, error) {
	rows, err := s.db.Query(`SELECT at,status,message FROM managed_job_events WHERE job_id=? ORDER BY rowid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var st string
		if err := rows.Scan(&at, &st, &e.Message); err != nil {
			return nil, err
		}
		e.At, e.Status = time.Unix(0, at), Status(st)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Note appends an event without changing the job's status.
func (s *Store) Note(id int64, status Status, msg string, at time.Time) error {
	_, err := s.db.Exec(`INSERT INTO managed_job_events(job_id,at,status,message) VALUES(?,?,?,?)`,
		id, at.UnixNano(), string(status), msg)
	return err
}

func (a *Attempt) setPhase(name string, seconds float64) {
	if a.Phases == nil {
		a.Phases = map[string]float64{}
	}
	a.Phases[name] = seconds
}
