// Package state is skyplan's local record of clusters, launches, failover
// attempts and jobs, in SQLite ($SKYPLAN_HOME/state.db) through the pure-Go
// modernc.org/sqlite driver. WAL mode and a busy timeout make it safe for
// several skyplan processes at once.
package state

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

// Status of a cluster, as in SkyPilot.
type Status string

const (
	StatusInit    Status = "INIT"
	StatusUp      Status = "UP"
	StatusStopped Status = "STOPPED"
)

// ErrNotFound is returned when a cluster does not exist.
var ErrNotFound = errors.New("not found")

// Node is one machine of a cluster, rank 0 = head.
type Node struct {
	Rank       int    `json:"rank"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	PublicIP   string `json:"public_ip"`
	Zone       string `json:"zone,omitempty"`
	SSHUser    string `json:"ssh_user,omitempty"`
	// SSH endpoint when it differs from PublicIP:22 (ssh node pools).
	SSHHost      string `json:"ssh_host,omitempty"`
	SSHPort      int    `json:"ssh_port,omitempty"`
	IdentityFile string `json:"identity_file,omitempty"`
}

// Cluster is what skyplan knows about one named cluster.
type Cluster struct {
	Name         string             `json:"name"`
	Status       Status             `json:"status"`
	Cloud        string             `json:"cloud"`
	Region       string             `json:"region"`
	Zone         string             `json:"zone"`
	InstanceType string             `json:"instance_type"`
	Accelerators map[string]float64 `json:"accelerators,omitempty"`
	NumNodes     int                `json:"num_nodes"`
	UseSpot      bool               `json:"use_spot"`
	HourlyCost   float64            `json:"hourly_cost"` // for all nodes, at launch time
	LaunchedAt   time.Time          `json:"launched_at"`
	EverUp       bool               `json:"ever_up"`
	Nodes        []Node             `json:"nodes"`
	// TerraformDir is the cluster's Terraform root ("" for SSH node pools).
	TerraformDir string `json:"terraform_dir,omitempty"`
	// Backend is the Terraform state backend type (s3, gcs, azurerm;
	// "" = local state in TerraformDir).
	Backend string `json:"backend,omitempty"`
	// TaskFile is the task YAML the cluster was last launched with.
	TaskFile string `json:"task_file,omitempty"`
	// SSHPool names the SSH node pool whose hosts the cluster holds.
	SSHPool string `json:"ssh_pool,omitempty"`
	// Drift lists resources changed outside skyplan, as the last refresh
	// saw them; a drifted cluster is INIT until it is applied again.
	Drift []string `json:"drift,omitempty"`
	// Extra holds component-specific data without schema changes. Keys
	// that became fields above are moved into them when a record is read.
	Extra map[string]string `json:"extra,omitempty"`
}

// migrate moves the Extra keys of records written before the typed fields
// existed into those fields; it reports whether anything moved.
func (c *Cluster) migrate() bool {
	moved := false
	take := func(key string, dst *string) {
		if v, ok := c.Extra[key]; ok {
			if *dst == "" {
				*dst = v
			}
			delete(c.Extra, key)
			moved = true
		}
	}
	take("terraform_dir", &c.TerraformDir)
	take("task", &c.TaskFile)
	take("ssh_pool", &c.SSHPool)
	var drift string
	take("drift", &drift)
	if drift != "" && len(c.Drift) == 0 {
		c.Drift = strings.Split(drift, ", ")
	}
	if len(c.Extra) == 0 {
		c.Extra = nil
	}
	return moved
}

// Store is an open state database.
type Store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS clusters (
  name TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  data TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS launches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  resources TEXT NOT NULL,
  hourly_cost REAL NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  cloud TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL,
  instance_type TEXT NOT NULL, use_spot INTEGER NOT NULL,
  class TEXT NOT NULL, reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  cluster TEXT NOT NULL,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  submitted_at INTEGER NOT NULL,
  ended_at INTEGER,
  data TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (cluster, id)
);
CREATE TABLE IF NOT EXISTS locks (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  pid INTEGER NOT NULL,
  at INTEGER NOT NULL
);
`

// Open opens (creating if needed) the database at path.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := createDBFile(path); err != nil {
		return nil, err
	}
	if err := checkDBFile(path); err != nil {
		return nil, err
	}
	// busy_timeout lets a second process wait for the first's write
	// transaction instead of failing with SQLITE_BUSY.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(schema + servicesSchema + retiredSchema); err != nil {
		db.Close()
		return nil, &CorruptDBError{Path: path, Reason: fmt.Sprintf("cannot be read (%v)", err)}
	}
	// A header that looks right can still hide damaged pages.
	var check string
	if err := db.QueryRow(`PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		db.Close()
		if err != nil {
			check = err.Error()
		}
		return nil, &CorruptDBError{Path: path, Reason: fmt.Sprintf("is damaged (integrity check: %.200s)", check)}
	}
	st := &Store{db: db}
	if err := st.migrateClusters(); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	return st, nil
}

// schemaVersion is stored in SQLite's user_version. 1: cluster records
// carry typed fields (terraform_dir, task_file, ssh_pool, drift) instead
// of Extra keys.
const schemaVersion = 1

// migrateClusters rewrites records of an older schema once, in one
// transaction, so every reader sees typed fields.
func (s *Store) migrateClusters() error {
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v >= schemaVersion {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT name, data FROM clusters`)
	if err != nil {
		return err
	}
	updates := map[string]string{}
	for rows.Next() {
		var name, data string
		if err := rows.Scan(&name, &data); err != nil {
			rows.Close()
			return err
		}
		var c Cluster
		if json.Unmarshal([]byte(data), &c) != nil || !c.migrate() {
			continue // a corrupt record is reported when it is read
		}
		b, err := json.Marshal(&c)
		if err != nil {
			rows.Close()
			return err
		}
		updates[name] = string(b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for name, data := range updates {
		if _, err := tx.Exec(`UPDATE clusters SET data=? WHERE name=?`, data, name); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// DB is the underlying database, for packages that keep their own tables
// in state.db (jobs, serve); they create them with CREATE TABLE IF NOT EXISTS.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// PutCluster inserts or replaces a cluster record.
func (s *Store) PutCluster(c *Cluster) error {
	if c.Name == "" {
		return errors.New("state: cluster without a name")
	}
	if c.Status == StatusUp {
		c.EverUp = true
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(`INSERT INTO clusters(name,status,data,updated_at) VALUES(?,?,?,?)
	  ON CONFLICT(name) DO UPDATE SET status=excluded.status, data=excluded.data, updated_at=excluded.updated_at`,
		c.Name, string(c.Status), string(data), time.Now().UnixNano())
	return err
}

// GetCluster returns the named cluster or ErrNotFound.
func (s *Store) GetCluster(name string) (*Cluster, error) {
	var data string
	err := s.db.QueryRow(`SELECT data FROM clusters WHERE name=?`, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("cluster %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var c Cluster
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		return nil, fmt.Errorf("cluster %q: %w in state.db (%v); remove it with `skyplan down --purge %s`", name, ErrCorruptRecord, err, name)
	}
	c.migrate()
	return &c, nil
}

// ListClusters returns every cluster sorted by name.
func (s *Store) ListClusters() ([]*Cluster, error) {
	rows, err := s.db.Query(`SELECT name, data FROM clusters ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Cluster
	for rows.Next() {
		var name, data string
		if err := rows.Scan(&name, &data); err != nil {
			return nil, err
		}
		var c Cluster
		if err := json.Unmarshal([]byte(data), &c); err != nil || c.Name != name {
			// One unreadable record must not hide every other cluster.
			why := "its name does not match the row"
			if err != nil {
				why = err.Error()
			}
			out = append(out, &Cluster{Name: name, Status: StatusCorrupt, Extra: map[string]string{"corrupt": why}})
			continue
		}
		c.migrate()
		out = append(out, &c)
	}
	return out, rows.Err()
}

// DeleteCluster removes a cluster record (after it was torn down).
func (s *Store) DeleteCluster(name string) error {
	_, err := s.db.Exec(`DELETE FROM clusters WHERE name=?`, name)
	return err
}

// SetStatus updates only the status of an existing cluster.
func (s *Store) SetStatus(name string, st Status) error {
	c, err := s.GetCluster(name)
	if err != nil {
		return err
	}
	c.Status = st
	return s.PutCluster(c)
}
