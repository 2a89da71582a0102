package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
)

func runSky(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(&IO{In: strings.NewReader(""), Out: &out, Err: &errb}, append([]string{"skyplan"}, args...))
	return code, out.String(), errb.String()
}

// Commands that change infrastructure never read a non-terminal stdin.
func TestLifecycleNeedsYesWithoutTerminal(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	// down checks that the cluster exists before it asks.
	st, err := state.Open(skyhome.StateDB())
	if err != nil {
		t.Fatal(err)
	}
	st.PutCluster(&state.Cluster{Name: "x", Status: state.StatusUp, Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", NumNodes: 1})
	st.Close()
	for _, args := range [][]string{{"down", "x"}, {"apply", "../examples/minimal.yaml", "-c", "x"}} {
		code, _, errOut := runSky(t, args...)
		if code != ExitFailure || !strings.Contains(errOut, "Pass -y") {
			t.Errorf("%v: exit %d\n%s", args, code, errOut)
		}
	}
}

func TestStatusJSONAndStopNotSupported(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	st, err := state.Open(skyhome.StateDB())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st.PutCluster(&state.Cluster{Name: "a", Status: state.StatusUp, Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a",
		InstanceType: "m6i.large", NumNodes: 2, HourlyCost: 0.192, LaunchedAt: at,
		Nodes: []state.Node{{Rank: 0, InstanceID: "i-1", PrivateIP: "10.0.0.1", PublicIP: "203.0.113.1"}, {Rank: 1, InstanceID: "i-2", PrivateIP: "10.0.0.2"}}})
	st.PutCluster(&state.Cluster{Name: "s", Status: state.StatusUp, Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p3.2xlarge", NumNodes: 1, UseSpot: true})
	st.Close()
	code, out, _ := runSky(t, "status", "-o", "json")
	want := `"name": "a",
      "status": "UP",
      "cloud": "aws",
      "region": "us-east-1",
      "zone": "us-east-1a",
      "instance_type": "m6i.large",
      "num_nodes": 2,
      "use_spot": false,
      "hourly_cost": 0.192,
      "launched_at": "2026-01-02T03:04:05Z",
      "nodes": [
        {
          "rank": 0,
          "instance_id": "i-1",
          "private_ip": "10.0.0.1",
          "public_ip": "203.0.113.1"
        },`
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("status json (exit %d):\n%s", code, out)
	}
	code, out, _ = runSky(t, "status")
	if code != 0 || !strings.Contains(out, "NAME  INFRA") || !strings.Contains(out, "a     AWS (us-east-1a)  2x m6i.large         UP") {
		t.Errorf("status table:\n%s", out)
	}
	code, _, errOut := runSky(t, "stop", "s")
	if code != ExitFailure || !strings.Contains(errOut, "skyplan stop is not supported for cluster s") || !strings.Contains(errOut, "spot instances cannot be stopped") {
		t.Errorf("stop spot: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runSky(t, "stop", "a"); code != ExitFailure || !strings.Contains(errOut, "Pass -y") {
		t.Errorf("stop without -y and without a terminal: exit %d\n%s", code, errOut)
	}
	code, _, errOut = runSky(t, "down", "-y", "nosuch")
	if code != ExitFailure || !strings.Contains(errOut, `No cluster named "nosuch"`) {
		t.Errorf("down unknown: exit %d\n%s", code, errOut)
	}
}
