package cli

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
)

func seedService(t *testing.T) {
	t.Helper()
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	serveAutostart = false
	t.Cleanup(func() { serveAutostart = true })
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	if err := store.CreateService(&state.Service{Name: "llm", Status: state.ServiceReady, Version: 1, Endpoint: "http://127.0.0.1:30001", CreatedAt: now.Add(-time.Hour)},
		state.ServiceVersion{Service: "llm", Version: 1, TaskYAML: "x"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*state.Replica{
		{Version: 1, Status: state.ReplicaReady, Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", UseSpot: true, IP: "10.0.0.5", Resources: "1x g5.xlarge[Spot]", LaunchedAt: now.Add(-5 * time.Minute)},
		{Version: 1, Status: state.ReplicaFailedProbing, Cloud: "aws", Region: "us-east-1", Reason: "readiness probe did not succeed; last error: GET /health: HTTP 500", LaunchedAt: now.Add(-30 * time.Minute)},
	} {
		if err := store.AllocateReplica("llm", r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServeStatusJSONShape(t *testing.T) {
	seedService(t)
	out, errOut, code := runCLI(t, "serve", "status", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for x := range m {
			k = append(k, x)
		}
		sort.Strings(k)
		return k
	}
	svc := doc["services"][0]
	if got, want := keys(svc), []string{"endpoint", "name", "replicas", "status", "version"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("service keys %v, want %v", got, want)
	}
	reps := svc["replicas"].([]any)
	r0 := reps[0].(map[string]any)
	if got, want := keys(r0), []string{"cloud", "id", "ip", "region", "status", "use_spot", "version", "zone"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("replica keys %v, want %v", got, want)
	}
	if r0["status"] != "READY" || r0["use_spot"] != true || r0["ip"] != "10.0.0.5" || svc["endpoint"] != "http://127.0.0.1:30001" {
		t.Fatalf("values: %v", svc)
	}
}

func TestServeStatusTable(t *testing.T) {
	seedService(t)
	out, errOut, code := runCLI(t, "serve", "status", "llm")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"NAME  VERSION  UPTIME  STATUS  REPLICAS  ENDPOINT", "llm   1        1h 0m   READY   1/1       http://127.0.0.1:30001",
		"ID  VERSION  INFRA", "RESOURCES", "LAUNCHED", "1x g5.xlarge[Spot]", "AWS (us-east-1a)", "5m 0s ago", "FAILED_PROBING: readiness probe did not succeed; last error: GET /health: HTTP 500"} {
		if !strings.Contains(out, want) {
			t.Errorf("status table lacks %q:\n%s", want, out)
		}
	}
	if _, errOut, code := runCLI(t, "serve", "status", "nope"); code == 0 || !strings.Contains(errOut, `No service named "nope"`) {
		t.Fatalf("unknown service: exit %d %s", code, errOut)
	}
}
