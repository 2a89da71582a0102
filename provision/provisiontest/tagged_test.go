package provisiontest

import (
	"slices"
	"testing"
)

// TestIAMListsUntaggedToo: IAM lists every role and profile, whatever its
// tags, while Tagged lists only the ones tagged for the cluster.
func TestIAMListsUntaggedToo(t *testing.T) {
	m := StartMoto(t)
	if got := m.IAM(t); len(got) != 0 {
		t.Fatalf("fresh moto has IAM entries: %v", got)
	}
	m.CreateNodeRole(t, "demo-node-1", "demo")
	got := m.IAM(t)
	slices.Sort(got)
	want := []string{"iam-instance-profile demo-node-1", "iam-role demo-node-1"}
	if !slices.Equal(got, want) {
		t.Fatalf("IAM = %v, want %v", got, want)
	}
	if tagged := m.Tagged(t, "us-east-1", "other"); len(tagged) != 0 {
		t.Fatalf("Tagged(other) = %v", tagged)
	}
}
