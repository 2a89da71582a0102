package provision

import (
	"errors"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
)

// An error EC2 returns from RunInstances that no rule knows.
func unknownLaunch(zone string) string {
	return "creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 7e0d3c1b-2a4f, api error VolumeTypeNotAvailableInZone: The volume type gp3 is not available in " + zone + "."
}

func attemptsOf(t *testing.T, st *state.Store) []state.Attempt {
	t.Helper()
	as, err := st.ListAttempts("c")
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// The first unrecognised launch error in a region moves to the next zone;
// the second in the same region stops, with the text shown and every
// decision in the attempts' reasons.
func TestFallbackUnknownLaunchErrorOncePerRegion(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Zones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}},
		{Cloud: "aws", Region: "us-east-2", InstanceType: "m6i.large", Zones: []string{"us-east-2a"}},
	}
	_, err, log, calls, st := runLoop(t, cands, map[string]string{
		"us-east-1a": unknownLaunch("us-east-1a"),
		"us-east-1b": unknownLaunch("us-east-1b"),
	})
	var se *StopError
	if !errors.As(err, &se) || se.Failure.Class != Unknown {
		t.Fatalf("want a StopError on the second unknown error, got %v\n%s", err, log)
	}
	if count(calls, "apply") != 2 || strings.Contains(log.String(), "us-east-1c") || strings.Contains(log.String(), "us-east-2") {
		t.Errorf("tried more than one extra zone (%d applies):\n%s", count(calls, "apply"), log)
	}
	if count(calls, "destroy") != 1 {
		t.Errorf("what the attempts created is destroyed once on stopping: %d destroys", count(calls, "destroy"))
	}
	if !strings.Contains(log.String(), "unrecognised error in AWS (us-east-1a): VolumeTypeNotAvailableInZone: The volume type gp3 is not available in us-east-1a.; trying one more zone of us-east-1 → trying AWS (us-east-1b) …") {
		t.Errorf("progress must show the cloud's text and the decision:\n%s", log)
	}
	msg := se.Error()
	for _, want := range []string{"VolumeTypeNotAvailableInZone: The volume type gp3 is not available in us-east-1b", "two zones of us-east-1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("stop error lacks %q:\n%s", want, msg)
		}
	}
	as := attemptsOf(t, st)
	if len(as) != 2 {
		t.Fatalf("attempts %+v", as)
	}
	reasons := as[0].Reason + "\n" + as[1].Reason
	for _, want := range []string{
		"VolumeTypeNotAvailableInZone: The volume type gp3 is not available in us-east-1a. → blocked zone us-east-1a for m6i.large after an unrecognised launch error",
		"→ stopped: a second unrecognised launch error in us-east-1 (the first was in us-east-1a)",
	} {
		if !strings.Contains(reasons, want) {
			t.Errorf("attempt reasons lack %q:\n%s", want, reasons)
		}
	}
}

func TestFallbackUnknownLaunchErrorNextZoneSucceeds(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Zones: []string{"us-east-1a", "us-east-1b"}},
	}
	out, err, log, _, _ := runLoop(t, cands, map[string]string{"us-east-1a": unknownLaunch("us-east-1a")})
	if err != nil || out.Placement.Zone != "us-east-1b" {
		t.Fatalf("%+v %v\n%s", out, err, log)
	}
}

// Zone-level placements (spot): the one extra try stays inside the region;
// the next candidate in another region is not tried after an unknown error.
func TestFallbackUnknownLaunchErrorDoesNotLeaveRegion(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large", UseSpot: true},
		{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2a", InstanceType: "m6i.large", UseSpot: true},
	}
	_, err, log, calls, _ := runLoop(t, cands, map[string]string{"us-east-1a": unknownLaunch("us-east-1a")})
	var se *StopError
	if !errors.As(err, &se) || count(calls, "apply") != 1 || strings.Contains(log.String(), "trying AWS (us-east-2a)") {
		t.Fatalf("want a stop without leaving us-east-1 (%d applies): %v\n%s", count(calls, "apply"), err, log)
	}
	if !strings.Contains(se.Error(), "no other zone of us-east-1") {
		t.Errorf("stop error: %s", se.Error())
	}

	// With another zone of the same region next, that zone is tried.
	cands[1] = optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1b", InstanceType: "m6i.large", UseSpot: true}
	out, err, log, _, _ := runLoop(t, cands, map[string]string{"us-east-1a": unknownLaunch("us-east-1a")})
	if err != nil || out.Placement.Zone != "us-east-1b" {
		t.Fatalf("%+v %v\n%s", out, err, log)
	}
}

// An unrecognised error that is not from the launch call (the module's
// VPC, a Terraform-side error) stops at once.
func TestFallbackUnknownNonLaunchErrorStops(t *testing.T) {
	cands := []optimizer.Placement{
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", Zones: []string{"us-east-1a", "us-east-1b"}},
	}
	_, err, log, calls, _ := runLoop(t, cands, map[string]string{
		"us-east-1a": "creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, RequestID: 1a2b, api error SomethingOdd: odd",
	})
	var se *StopError
	if !errors.As(err, &se) || count(calls, "apply") != 1 {
		t.Fatalf("want a stop after one apply (%d): %v\n%s", count(calls, "apply"), err, log)
	}
}

// The REASON column carries the cloud's own message, not the SDK's layers.
func TestExhaustedTableShowsCause(t *testing.T) {
	ex := &ExhaustedError{Failures: []Failure{{
		Placement: optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large"},
		Class:     Transient,
		Message:   "creating EC2 Instance: operation error EC2: RunInstances, exceeded maximum number of attempts, 2, https response error StatusCode: 500, RequestID: 3f1c2b9a-7d6e-4c5b-9a8f-1e2d3c4b5a69, api error InternalError: We encountered an internal error. Please try again.",
	}}}
	var b strings.Builder
	ex.WriteTable(&b, 1)
	if !strings.Contains(b.String(), "transient: InternalError: We encountered an internal error. Please try again.") {
		t.Errorf("table:\n%s", b.String())
	}
}
