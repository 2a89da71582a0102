package state

import (
	"time"
)

// retiredSchema holds the failed attempts whose resources are being
// destroyed apart from the cluster's own Terraform directory. A row is
// written before the destroy starts and deleted only when the attempt's
// state is empty, so a skyplan killed in between leaves a row that the next
// apply or `down` of the cluster finishes.
const retiredSchema = `
CREATE TABLE IF NOT EXISTS retired_attempts (
  cluster TEXT NOT NULL,
  id TEXT NOT NULL,
  dir TEXT NOT NULL,
  cloud TEXT NOT NULL, region TEXT NOT NULL, zone TEXT NOT NULL,
  class TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (cluster, id)
);
`

// Retired is one failed attempt whose workspace (its own copy of the
// root module and its state) is destroyed in the background.
type Retired struct {
	Cluster string
	ID      string // directory name under the cluster's retired/
	Dir     string // absolute path of the attempt's workspace
	Cloud   string
	Region  string
	Zone    string
	Class   string // the failure class that retired it
	At      time.Time
}

// AddRetired records a retired attempt (before its destroy starts).
func (s *Store) AddRetired(r Retired) error {
	_, err := s.db.Exec(`INSERT INTO retired_attempts(cluster,id,dir,cloud,region,zone,class,at) VALUES(?,?,?,?,?,?,?,?)`,
		r.Cluster, r.ID, r.Dir, r.Cloud, r.Region, r.Zone, r.Class, r.At.UnixNano())
	return err
}

// ListRetired returns a cluster's retired attempts, oldest first.
func (s *Store) ListRetired(cluster string) ([]Retired, error) {
	rows, err := s.db.Query(`SELECT cluster,id,dir,cloud,region,zone,class,at FROM retired_attempts WHERE cluster=? ORDER BY at, id`, cluster)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Retired
	for rows.Next() {
		var r Retired
		var at int64
		if err := rows.Scan(&r.Cluster, &r.ID, &r.Dir, &r.Cloud, &r.Region, &r.Zone, &r.Class, &at); err != nil {
			return nil, err
		}
		r.At = time.Unix(0, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteRetired forgets a retired attempt once nothing of it is left.
func (s *Store) DeleteRetired(cluster, id string) error {
	_, err := s.db.Exec(`DELETE FROM retired_attempts WHERE cluster=? AND id=?`, cluster, id)
	return err
}
