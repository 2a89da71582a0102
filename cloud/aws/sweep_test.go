package aws

import (
	"reflect"
	"strings"
	"testing"
)

func TestSweepReportedReadsKeyPairWarnings(t *testing.T) {
	got := Cloud{}.SweepReported([]string{
		"nothing here",
		"Leftover key pair: skyplan-leftover-key-pair=skyplan-train-1a2b is tagged skyplan-cluster=train",
		"skyplan-leftover-key-pair=", // no name: ignored, never a panic
	})
	if want := []string{"skyplan-train-1a2b"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("SweepReported = %q, want %q", got, want)
	}
	if v := (Cloud{}).SweepVars(nil)["key_pairs"]; !reflect.DeepEqual(v, []string{}) {
		t.Fatalf("first run key_pairs = %#v, want an empty list (the variable has no null default)", v)
	}
	if !strings.Contains(string(Cloud{}.SweepModule()), "skyplan-leftover-key-pair=") {
		t.Fatal("templates/sweep/aws.tf no longer carries the marker SweepReported reads")
	}
}
