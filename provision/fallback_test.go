package provision

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
)

func fakeGenerate(p optimizer.Placement, dir string) error {
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte("terraform {\n  required_version = \">= 1.5\"\n}\n"), 0o644)
	b, _ := json.Marshal(map[string]string{"region": p.Region, "zone": p.Zone})
	return os.WriteFile(filepath.Join(dir, "skyplan.auto.tfvars.json"), b, 0o644)
}

func runLoop(t *testing.T, cands []optimizer.Placement, fail map[string]string) (*Outcome, error, *strings.Builder, []fakeCall, *state.Store) {
	t.Helper()
	tc, logPath := fakeToolchain(t, fail)
	ws, err := tc.Workspace(filepath.Join(t.TempDir(), "c"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var log strings.Builder
	l := &Launcher{Cluster: "c", NumNodes: 1, WS: ws, Store: st, Plan: CandidatePlanner(cands), Generate: fakeGenerate, Log: &log, Backoff: 1}
	out, err := l.Launch(context.Background())
	if werr := l.WaitRetired(context.Background()); werr != nil {
		t.Fatalf("background destroys: %v\n%s", werr, &log)
	}
	return out, err, &log, readCalls(t, logPath), st
}

func count(calls []fakeCall, name string) int {
	n := 0
	for _, c := range calls {
		if c.Args[0] == name {
			n++
		}
	}
	return n
}

func TestFallbackAWSZonesThenRegion(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Zones: []string{"us-east-1a", "us-east-1b"}, HourlyCost: 0.096},
		{Cloud: "aws", Region: "us-east-2", InstanceType: "m6i.large", Zones: []string{"us-east-2a"}, HourlyCost: 0.097},
	}
	ice := "creating EC2 Instance: InsufficientInstanceCapacity: We currently do not have sufficient m6i.large capacity in the Availability Zone you requested (%s)."
	out, err, log, calls, st := runLoop(t, cands, map[string]string{
		"us-east-1a": strings.Replace(ice, "%s", "us-east-1a", 1),
		"us-east-1b": strings.Replace(ice, "%s", "us-east-1b", 1),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if out.Placement.Zone != "us-east-2a" || out.Nodes[0].InstanceID != "i-fake" {
		t.Fatalf("outcome %+v", out)
	}
	for _, want := range []string{
		"capacity error in AWS (us-east-1a) (InsufficientInstanceCapacity) → trying AWS (us-east-1b) …",
		"capacity error in AWS (us-east-1b) (InsufficientInstanceCapacity) → trying AWS (us-east-2a) …",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// init once for the directory; one destroy when leaving us-east-1.
	if count(calls, "init") != 1 || count(calls, "apply") != 3 || count(calls, "destroy") != 1 {
		t.Errorf("calls: init %d apply %d destroy %d", count(calls, "init"), count(calls, "apply"), count(calls, "destroy"))
	}
	c, _ := st.GetCluster("c")
	if c.Status != state.StatusUp || c.Zone != "us-east-2a" || c.HourlyCost != 0.097 {
		t.Errorf("cluster %+v", c)
	}
}

func TestFallbackGCPAllRegionsQuotaMovesToAzure(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "a2-highgpu-1g"},
		{Cloud: "gcp", Region: "europe-west4", Zone: "europe-west4-a", InstanceType: "a2-highgpu-1g"},
		{Cloud: "azure", Region: "eastus", InstanceType: "Standard_NC24ads_A100_v4"},
		{Cloud: "azure", Region: "westus2", InstanceType: "Standard_NC24ads_A100_v4"},
	}
	out, err, log, _, _ := runLoop(t, cands, map[string]string{
		"us-central1-a": "Error creating instance: googleapi: Error 403: Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally., quotaExceeded",
		"eastus":        "performing CreateOrUpdate: unexpected status 409 (409 Conflict) with error: SkuNotAvailable: The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: Standard_NC24ads_A100_v4' is currently not available in location 'eastus'.",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if out.Placement.Cloud != "azure" || out.Placement.Region != "westus2" {
		t.Fatalf("landed in %+v\n%s", out.Placement, log)
	}
	if strings.Contains(log.String(), "europe-west4") {
		t.Errorf("GPUS_ALL_REGIONS must block every GCP region:\n%s", log)
	}
}

func TestFallbackGCPZoneExhaustedTriesNextZone(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n1-standard-8"},
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-b", InstanceType: "n1-standard-8"},
	}
	out, err, log, _, _ := runLoop(t, cands, map[string]string{
		"us-central1-a": "ZONE_RESOURCE_POOL_EXHAUSTED: The zone 'projects/p/zones/us-central1-a' does not have enough resources available to fulfill the request.",
	})
	if err != nil || out.Placement.Zone != "us-central1-b" {
		t.Fatalf("%+v %v\n%s", out, err, log)
	}
}

func TestFallbackAuthStopsWithoutFailover(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large"},
		{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2a", InstanceType: "m6i.large"},
	}
	_, err, log, calls, st := runLoop(t, cands, map[string]string{
		"us-east-1": "Error: configuring Terraform AWS Provider: error validating provider credentials: api error InvalidClientTokenId: The security token included in the request is invalid.",
	})
	var se *StopError
	if !errors.As(err, &se) || se.Failure.Class != Auth || !strings.Contains(se.Fix, "credentials") {
		t.Fatalf("want an auth StopError, got %v\n%s", err, log)
	}
	if count(calls, "apply") != 1 || count(calls, "destroy") != 1 {
		t.Errorf("auth must not fail over but must clean up: %d applies, %d destroys", count(calls, "apply"), count(calls, "destroy"))
	}
	if _, err := st.GetCluster("c"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("nothing left: the INIT record should go: %v", err)
	}
}

func TestFallbackExhausted(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p3.2xlarge", UseSpot: true},
		{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2a", InstanceType: "p3.2xlarge", UseSpot: true},
	}
	_, err, log, calls, _ := runLoop(t, cands, map[string]string{
		"us-east-1": "An error occurred (MaxSpotInstanceCountExceeded) when calling the RunInstances operation: Max spot instance count exceeded",
		"us-east-2": "Error launching source instance: VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit of 0 allows",
	})
	var ex *ExhaustedError
	if !errors.As(err, &ex) || len(ex.Failures) != 2 || ex.Failures[0].Class != Spot || ex.Failures[1].Class != Quota {
		t.Fatalf("%v\n%s", err, log)
	}
	var tbl strings.Builder
	ex.WriteTable(&tbl, 2)
	if !strings.Contains(tbl.String(), "AWS (us-east-1a)  2x p3.2xlarge[Spot]  spot: ") {
		t.Errorf("table:\n%s", tbl.String())
	}
	if count(calls, "destroy") != 2 {
		t.Errorf("each failed location is cleaned up: %d destroys", count(calls, "destroy"))
	}
}

// --retry-until-up: an exhausted round starts over (blocks reset) after the
// pause, until the context ends.
func TestFallbackRetryUntilUpStartsOver(t *testing.T) {
	tc, _ := fakeToolchain(t, map[string]string{"us-east-1": "InsufficientInstanceCapacity: We currently do not have sufficient capacity in the Availability Zone you requested (us-east-1a)."})
	ws, _ := tc.Workspace(filepath.Join(t.TempDir(), "c"), nil, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base := CandidatePlanner([]optimizer.Placement{{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large"}})
	rounds := 0
	plan := func(b []optimizer.Blocked) (*optimizer.Placement, error) {
		p, err := base(b)
		if len(b) == 0 {
			rounds++ // a fresh round: nothing blocked
			if rounds == 3 {
				cancel()
			}
		}
		return p, err
	}
	var log strings.Builder
	l := &Launcher{Cluster: "c", NumNodes: 1, WS: ws, Plan: plan, Generate: fakeGenerate, Log: &log, RetryUntilUp: true, RetryGap: 1}
	_, err := l.Launch(ctx)
	if !errors.Is(err, context.Canceled) || rounds != 3 || !strings.Contains(log.String(), "round 2); --retry-until-up: starting over") {
		t.Fatalf("rounds %d err %v\n%s", rounds, err, log.String())
	}
}

// A planner that ignores blocks (keeps offering the failed zone) must not
// make the loop spin.
func TestFallbackPlannerIgnoringBlocksEnds(t *testing.T) {
	tc, _ := fakeToolchain(t, map[string]string{"us-east-1a": "InsufficientInstanceCapacity: no capacity in the Availability Zone you requested (us-east-1a)."})
	ws, _ := tc.Workspace(filepath.Join(t.TempDir(), "c"), nil, false)
	p := optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", UseSpot: true}
	var log strings.Builder
	l := &Launcher{Cluster: "c", NumNodes: 1, WS: ws, Generate: fakeGenerate, Log: &log,
		Plan: func([]optimizer.Blocked) (*optimizer.Placement, error) { q := p; return &q, nil }}
	_, err := l.Launch(context.Background())
	var ex *ExhaustedError
	if !errors.As(err, &ex) || len(ex.Failures) != 1 {
		t.Fatalf("%v\n%s", err, log.String())
	}
}
