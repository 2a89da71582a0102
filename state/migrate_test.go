package state

import (
	"strings"
	"testing"
)

// Records written before the typed fields existed keep their Terraform
// directory, task file, pool and drift: Open moves them out of Extra once
// and rewrites the rows.
func TestOpenMigratesExtraKeysToTypedFields(t *testing.T) {
	s, path := openTemp(t)
	old := `{"name":"old","status":"UP","cloud":"aws","region":"us-east-1","ever_up":true,"nodes":[],` +
		`"extra":{"terraform_dir":"/h/clusters/old","task":"/w/task.yaml","ssh_pool":"","drift":"aws_instance.node[0], aws_subnet.this","autostop":"5"}}`
	if _, err := s.db.Exec(`INSERT INTO clusters(name,status,data,updated_at) VALUES('old','UP',?,0)`, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`PRAGMA user_version = 0`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var raw string
	if err := s2.db.QueryRow(`SELECT data FROM clusters WHERE name='old'`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, `"extra":{"terraform_dir"`) || !strings.Contains(raw, `"terraform_dir":"/h/clusters/old"`) {
		t.Errorf("row not rewritten: %s", raw)
	}
	c, err := s2.GetCluster("old")
	if err != nil {
		t.Fatal(err)
	}
	if c.TerraformDir != "/h/clusters/old" || c.TaskFile != "/w/task.yaml" || len(c.Drift) != 2 || c.Drift[1] != "aws_subnet.this" {
		t.Errorf("typed fields: %+v", c)
	}
	if len(c.Extra) != 1 || c.Extra["autostop"] != "5" {
		t.Errorf("unrelated Extra keys must stay: %v", c.Extra)
	}
	var v int
	_ = s2.db.QueryRow(`PRAGMA user_version`).Scan(&v)
	if v != schemaVersion {
		t.Errorf("user_version = %d", v)
	}
}
