package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Launch is one period a cluster was (being) up, with the price at launch
// time so cost reports do not depend on today's catalog.
type Launch struct {
	ID         int64      `json:"id"`
	Cluster    string     `json:"cluster"`
	Resources  string     `json:"resources"`
	HourlyCost float64    `json:"hourly_cost"`
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	Status     string     `json:"status"`
}

// Duration is EndedAt (or now) minus StartedAt.
func (l Launch) Duration(now time.Time) time.Duration {
	end := now
	if l.EndedAt != nil {
		end = *l.EndedAt
	}
	return end.Sub(l.StartedAt)
}

// Cost is the hourly price × duration in hours.
func (l Launch) Cost(now time.Time) float64 { return l.HourlyCost * l.Duration(now).Hours() }

// StartLaunch records a launch and returns its id.
func (s *Store) StartLaunch(cluster, resources string, hourlyCost float64, at time.Time) (int64, error) {
	res, err := s.db.Exec(`INSERT INTO launches(cluster,resources,hourly_cost,started_at,status) VALUES(?,?,?,?,?)`,
		cluster, resources, hourlyCost, at.UnixNano(), "UP")
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// EndLaunch closes every open launch of a cluster (status e.g. TERMINATED).
func (s *Store) EndLaunch(cluster, status string, at time.Time) error {
	_, err := s.db.Exec(`UPDATE launches SET ended_at=?, status=? WHERE cluster=? AND ended_at IS NULL`,
		at.UnixNano(), status, cluster)
	return err
}

// ListLaunches returns launches, newest first.
func (s *Store) ListLaunches() ([]Launch, error) {
	rows, err := s.db.Query(`SELECT id,cluster,resources,hourly_cost,started_at,ended_at,status FROM launches ORDER BY started_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Launch
	for rows.Next() {
		var l Launch
		var start int64
		var end sql.NullInt64
		if err := rows.Scan(&l.ID, &l.Cluster, &l.Resources, &l.HourlyCost, &start, &end, &l.Status); err != nil {
			return nil, err
		}
		l.StartedAt = time.Unix(0, start)
		if end.Valid {
			t := time.Unix(0, end.Int64)
			l.EndedAt = &t
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Attempt is one provisioning try and why it failed (or "ok").
type Attempt struct {
	Cluster      string    `json:"cluster"`
	Cloud        string    `json:"cloud"`
	Region       string    `json:"region"`
	Zone         string    `json:"zone"`
	InstanceType string    `json:"instance_type"`
	UseSpot      bool      `json:"use_spot"`
	Class        string    `json:"class"`
	Reason       string    `json:"reason"`
	At           time.Time `json:"at"`
}

// AddAttempt records a provisioning attempt.
func (s *Store) AddAttempt(a Attempt) error {
	_, err := s.db.Exec(`INSERT INTO attempts(cluster,cloud,region,zone,instance_type,use_spot,class,reason,at) VALUES(?,?,?,?,?,?,?,?,?)`,
		a.Cluster, a.Cloud, a.Region, a.Zone, a.InstanceType, a.UseSpot, a.Class, a.Reason, a.At.UnixNano())
	return err
}

// ListAttempts returns a cluster's attempts in order.
func (s *Store) ListAttempts(cluster string) ([]Attempt, error) {
	rows, err := s.db.Query(`SELECT cluster,cloud,region,zone,instance_type,use_spot,class,reason,at FROM attempts WHERE cluster=? ORDER BY id`, cluster)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var at int64
		if err := rows.Scan(&a.Cluster, &a.Cloud, &a.Region, &a.Zone, &a.InstanceType, &a.UseSpot, &a.Class, &a.Reason, &at); err != nil {
			return nil, err
		}
		a.At = time.Unix(0, at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Job is skyplan's local copy of a job's state (the head node is the
// authority; this lets `queue` answer for clusters that are gone).
type Job struct {
	Cluster     string            `json:"cluster"`
	ID          int               `json:"id"`
	Name        string            `json:"name"`
	Status      string            `json:"status"`
	SubmittedAt time.Time         `json:"submitted_at"`
	EndedAt     *time.Time        `json:"ended_at,omitempty"`
	Data        map[string]string `json:"data,omitempty"`
}

// PutJob inserts or replaces a job record.
func (s *Store) PutJob(j Job) error {
	data, err := json.Marshal(j.Data)
	if err != nil {
		return err
	}
	var end any
	if j.EndedAt != nil {
		end = j.EndedAt.UnixNano()
	}
	_, err = s.db.Exec(`INSERT INTO jobs(cluster,id,name,status,submitted_at,ended_at,data) VALUES(?,?,?,?,?,?,?)
	  ON CONFLICT(cluster,id) DO UPDATE SET name=excluded.name, status=excluded.status, ended_at=excluded.ended_at, data=excluded.data`,
		j.Cluster, j.ID, j.Name, j.Status, j.SubmittedAt.UnixNano(), end, string(data))
	return err
}

// ListJobs returns a cluster's jobs by id.
func (s *Store) ListJobs(cluster string) ([]Job, error) {
	rows, err := s.db.Query(`SELECT cluster,id,name,status,submitted_at,ended_at,data FROM jobs WHERE cluster=? ORDER BY id`, cluster)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		var j Job
		var sub int64
		var end sql.NullInt64
		var data string
		if err := rows.Scan(&j.Cluster, &j.ID, &j.Name, &j.Status, &sub, &end, &data); err != nil {
			return nil, err
		}
		j.SubmittedAt = time.Unix(0, sub)
		if end.Valid {
			t := time.Unix(0, end.Int64)
			j.EndedAt = &t
		}
		_ = json.Unmarshal([]byte(data), &j.Data)
		out = append(out, j)
	}
	return out, rows.Err()
}

// ErrLocked is returned when another live process holds a cluster lock.
var ErrLocked = errors.New("locked by another skyplan process")

// Lock takes an exclusive, process-scoped lock on name (e.g. a cluster
// name) so two skyplan processes do not operate on one cluster at once. A
// lock whose holder process is gone is taken over. The returned release
// function drops the lock.
func (s *Store) Lock(name, holder string) (release func() error, err error) {
	release, _, err = s.LockReport(name, holder)
	return release, err
}

// LockReport is Lock that also says when it took over a stale lock (its
// holder process no longer exists, e.g. after a kill -9), so the caller
// can tell the user.
func (s *Store) LockReport(name, holder string) (release func() error, stale string, err error) {
	pid := os.Getpid()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before the read, so two processes
	// cannot both see the lock free and both take it.
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, "", err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(ctx, "ROLLBACK")
		}
	}()
	var otherPID int
	var otherHolder string
	err = conn.QueryRowContext(ctx, `SELECT pid, holder FROM locks WHERE name=?`, name).Scan(&otherPID, &otherHolder)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, "", err
	case otherPID != pid && processAlive(otherPID):
		return nil, "", fmt.Errorf("%s (pid %d, %s): %w", name, otherPID, otherHolder, ErrLocked)
	case otherPID != pid:
		stale = fmt.Sprintf("Cleared a stale lock on %s: its holder (%s, pid %d) no longer runs.", name, otherHolder, otherPID)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO locks(name,holder,pid,at) VALUES(?,?,?,?)
	  ON CONFLICT(name) DO UPDATE SET holder=excluded.holder, pid=excluded.pid, at=excluded.at`,
		name, holder, pid, time.Now().UnixNano()); err != nil {
		return nil, "", err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, "", err
	}
	committed = true
	return func() error {
		_, err := s.db.Exec(`DELETE FROM locks WHERE name=? AND pid=?`, name, pid)
		return err
	}, stale, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
