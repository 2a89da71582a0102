package e2ecli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// (1) capacity errors in the two cheapest regions → the cluster lands in the
// third and moto runs instances only there; status shows it; (3) down
// leaves nothing.
func TestApplyFailsOverThenStatusAndDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.proxy.Fail("us-east-1", provisiontest.InsufficientInstanceCapacity, -1)
	e.proxy.Fail("us-east-2", provisiontest.InsufficientInstanceCapacity, -1)
	r := e.run("apply", "task.yaml", "-c", "demo", "-y", "--provision-only")
	if r.code != 0 {
		t.Fatalf("apply exit %d", r.code)
	}
	if got := e.live(); len(got) != 1 || got["us-west-2"] != 1 {
		t.Fatalf("live instances: %v", got)
	}
	// The failed regions were destroyed in the background, and apply
	// exited only once they were.
	for _, region := range []string{"us-east-1", "us-east-2"} {
		// IAM is account-wide: Tagged lists the live cluster's own node
		// role and profile in every region, so only regional kinds count.
		var left []string
		for _, r := range e.moto.Tagged(t, region, "demo") {
			if !strings.HasPrefix(r, "iam-") {
				left = append(left, r)
			}
		}
		if len(left) > 0 {
			t.Errorf("apply exited with the failed attempt in %s not destroyed: %v", region, left)
		}
	}
	if !strings.Contains(r.stderr, "created, in the background …") {
		t.Errorf("stderr does not mention the background destroy")
	}
	if ents, _ := os.ReadDir(filepath.Join(e.home, "clusters", "demo", "retired")); len(ents) != 0 {
		t.Errorf("retired workspaces left after apply: %v", ents)
	}
	for _, want := range []string{"capacity error in AWS (us-east-1", "(InsufficientInstanceCapacity) → trying AWS (us-east-2", "→ trying AWS (us-west-2"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	st := e.run("status", "-o", "json")
	var doc struct {
		Clusters []struct {
			Name, Status, Cloud, Region, Zone string
			NumNodes                          int `json:"num_nodes"`
			Nodes                             []struct {
				InstanceID string `json:"instance_id"`
			}
		}
	}
	if err := json.Unmarshal([]byte(st.stdout), &doc); err != nil || len(doc.Clusters) != 1 {
		t.Fatalf("status json: %v", err)
	}
	c := doc.Clusters[0]
	if c.Name != "demo" || c.Status != "UP" || c.Region != "us-west-2" || len(c.Nodes) != 1 || !strings.HasPrefix(c.Nodes[0].InstanceID, "i-") {
		t.Errorf("status: %+v", c)
	}
	if tbl := e.run("status"); !strings.Contains(tbl.stdout, "NAME") || !strings.Contains(tbl.stdout, "AWS (us-west-2") {
		t.Errorf("status table:\n%s", tbl.stdout)
	}
	// Drift: the instance is terminated outside skyplan; --refresh sees it.
	e.moto.Terminate(t, "us-west-2", c.Nodes[0].InstanceID)
	rf := e.run("status", "--refresh", "-o", "json")
	if !strings.Contains(rf.stdout, `"status": "INIT"`) || !strings.Contains(rf.stdout, "aws_instance.node[0]") {
		t.Errorf("status --refresh did not report the terminated instance")
	}
	if d := e.run("down", "demo"); d.code == 0 {
		t.Errorf("down without -y and without a terminal must refuse")
	}
	if d := e.run("down", "demo", "-y"); d.code != 0 {
		t.Fatalf("down exit %d", d.code)
	}
	if got := e.live(); len(got) != 0 {
		t.Fatalf("instances left after down: %v", got)
	}
	if st := e.run("status", "-o", "json"); !strings.Contains(st.stdout, `"clusters": []`) {
		t.Errorf("cluster still listed after down:\n%s", st.stdout)
	}
}
