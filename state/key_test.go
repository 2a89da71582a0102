package state

import (
	"testing"
	"time"

	"github.com/skyplan/skyplan/cloud"
)

func TestAttemptKeyRoundTrip(t *testing.T) {
	k := cloud.Key{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p4d.24xlarge", Spot: true}
	s, err := Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddAttempt(NewAttempt("c", k, "capacity", "no capacity", time.Now())); err != nil {
		t.Fatal(err)
	}
	as, err := s.ListAttempts("c")
	if err != nil || len(as) != 1 {
		t.Fatalf("attempts = %v, %v", as, err)
	}
	if got := as[0].Key(); !got.Equal(k) || got.String() != "aws/us-east-1/us-east-1a/p4d.24xlarge[spot]" {
		t.Errorf("stored attempt key = %s, want %s", got, k)
	}
	c := &Cluster{Name: "c", Cloud: "azure", Region: "eastus", InstanceType: "Standard_D2s_v5"}
	if c.Key().String() != "azure/eastus/-/Standard_D2s_v5" {
		t.Errorf("cluster key = %s", c.Key())
	}
}
