package e2ecli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type statusDoc struct {
	Clusters []struct {
		Name, Status, Region, Zone string
		Nodes                      []struct {
			InstanceID string `json:"instance_id"`
			SSHUser    string `json:"ssh_user"`
		}
	}
}

func (e *env) statusJSON(t *testing.T) statusDoc {
	t.Helper()
	st := e.run("status", "-o", "json")
	var doc statusDoc
	if err := json.Unmarshal([]byte(st.stdout), &doc); err != nil {
		t.Fatalf("status json: %v\n%s", err, st.stdout)
	}
	return doc
}

// After state.db is lost (moved aside as its corrupt-database error says),
// `skyplan state rebuild` records the cluster again from the instances
// tagged in moto: UP, with its node, its directory's name. When the
// directory is gone too, the rebuilt record is INIT and `down` still
// destroys everything tagged with it.
func TestStateRebuildFromTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.run("apply", "task.yaml", "-c", "Rebuilt_1", "-y", "--provision-only"); r.code != 0 {
		t.Fatalf("apply exit %d", r.code)
	}
	before := e.statusJSON(t)
	if len(before.Clusters) != 1 || len(before.Clusters[0].Nodes) != 1 {
		t.Fatalf("status after apply: %+v", before)
	}
	want := before.Clusters[0]
	db := filepath.Join(e.home, "state.db")
	lose := func() {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Rename(db+suffix, db+".broken"+suffix)
		}
		os.RemoveAll(db + ".broken")
	}
	lose()
	if got := e.statusJSON(t); len(got.Clusters) != 0 {
		t.Fatalf("a new state.db lists clusters: %+v", got)
	}
	r := e.run("state", "rebuild", "--infra", "aws/us-east-1")
	if r.code != 0 {
		t.Fatalf("state rebuild exit %d", r.code)
	}
	if !strings.Contains(r.stdout, "Rebuilt_1") || !strings.Contains(r.stdout, "rebuilt") {
		t.Errorf("rebuild's table does not name the cluster:\n%s", r.stdout)
	}
	got := e.statusJSON(t)
	if len(got.Clusters) != 1 {
		t.Fatalf("status after rebuild: %+v", got)
	}
	c := got.Clusters[0]
	if c.Name != want.Name || c.Status != "UP" || c.Region != "us-east-1" || c.Zone != want.Zone ||
		len(c.Nodes) != 1 || c.Nodes[0].InstanceID != want.Nodes[0].InstanceID || c.Nodes[0].SSHUser != want.Nodes[0].SSHUser {
		t.Errorf("rebuilt record %+v, want %+v", c, want)
	}
	// A second rebuild keeps the record it finds.
	if r := e.run("state", "rebuild", "--infra", "aws/us-east-1"); r.code != 0 || !strings.Contains(r.stdout, "already recorded") {
		t.Errorf("second rebuild: exit %d\n%s", r.code, r.stdout)
	}
	if r := e.run("state", "rebuild", "--infra", "aws/us-east-1/us-east-1a"); r.code != 64 || !strings.Contains(r.stderr, "--infra") {
		t.Errorf("a zone must be a usage error naming --infra: exit %d\n%s", r.code, r.stderr)
	}

	// The directory is lost too: the cloud alone says what exists.
	lose()
	tag := "rebuilt-1"
	os.RemoveAll(filepath.Join(e.home, "clusters", want.Name))
	r = e.run("state", "rebuild", "--infra", "aws")
	if r.code != 0 || !strings.Contains(r.stdout, tag) || !strings.Contains(r.stdout, "skyplan down "+tag+" -y") {
		t.Fatalf("rebuild without a directory: exit %d\n%s", r.code, r.stdout)
	}
	got = e.statusJSON(t)
	if len(got.Clusters) != 1 || got.Clusters[0].Name != tag || got.Clusters[0].Status != "INIT" {
		t.Fatalf("adopted record: %+v", got)
	}
	if len(e.moto.Tagged(t, "us-east-1", tag)) == 0 {
		t.Fatal("nothing tagged in moto before down: the test checks nothing")
	}
	d := e.run("down", tag, "-y")
	if d.code != 0 {
		t.Fatalf("down of the adopted cluster: exit %d", d.code)
	}
	e.requireNothingTagged(t, tag)
	if got := e.statusJSON(t); len(got.Clusters) != 0 {
		t.Errorf("record left after down: %+v", got)
	}
}
