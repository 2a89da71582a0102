package optimizer

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func ExampleWriteTable() {
	chosen := Placement{Cloud: "azure", Region: "eastus", InstanceType: "Standard_ND96asr_v4", Accelerators: map[string]float64{"A100": 8},
		VCPUs: 96, MemoryGiB: 900, HourlyCostPerNode: 27.2, HourlyCost: 27.2}
	plan := &TaskPlan{Name: "train", NumNodes: 1, Chosen: &chosen, Candidates: []Placement{
		chosen,
		{Cloud: "azure", Region: "westus2", InstanceType: "Standard_ND96asr_v4", Accelerators: map[string]float64{"A100": 8}, VCPUs: 96, MemoryGiB: 900, HourlyCost: 28},
		{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "a2-highgpu-8g", Accelerators: map[string]float64{"A100": 8}, VCPUs: 96, MemoryGiB: 680, HourlyCost: 29.39},
		{Cloud: "aws", Region: "us-east-1", InstanceType: "p4d.24xlarge", Accelerators: map[string]float64{"A100": 8}, VCPUs: 96, MemoryGiB: 1152, HourlyCost: 32.77},
		{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "p4d.24xlarge", UseSpot: true, Accelerators: map[string]float64{"A100": 8}, VCPUs: 96, MemoryGiB: 1152, HourlyCost: 35},
	}}
	WriteTable(os.Stdout, plan, false)
	// Output:
	// Estimated cost: $27.20 / hour
	//
	// Considered resources (1 node):
	// --------------------------------------------------------------------------------------------
	//  INFRA                 INSTANCE              vCPUs   Mem(GB)   GPUS     COST ($)   CHOSEN
	// --------------------------------------------------------------------------------------------
	//  Azure (eastus)        Standard_ND96asr_v4   96      900       A100:8   27.20      ✔
	//  GCP (us-central1-a)   a2-highgpu-8g         96      680       A100:8   29.39
	//  AWS (us-east-1)       p4d.24xlarge          96      1152      A100:8   32.77
	//  AWS (us-east-1a)      p4d.24xlarge[Spot]    96      1152      A100:8   35.00
	// --------------------------------------------------------------------------------------------
}

// Rows equal in cents keep their candidate order (SkyPilot sorts by the
// printed cost), even when the exact costs differ below a cent.
func TestConsideredRowsSortByCents(t *testing.T) {
	chosen := Placement{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n2-standard-2", VCPUs: 2, MemoryGiB: 8, HourlyCost: 0.0971}
	plan := &TaskPlan{NumNodes: 1, Chosen: &chosen, Candidates: []Placement{
		chosen,
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", VCPUs: 2, MemoryGiB: 8, HourlyCost: 0.096},
		{Cloud: "azure", Region: "eastus", InstanceType: "Standard_D2s_v5", VCPUs: 2, MemoryGiB: 8, HourlyCost: 0.0964},
		{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.large", UseSpot: true, VCPUs: 2, MemoryGiB: 8, HourlyCost: 0.03},
	}}
	var got []string
	for _, p := range ConsideredRows(plan, false) {
		got = append(got, p.Cloud+"/"+instanceText(p))
	}
	if want := "aws/m6i.large[Spot] gcp/n2-standard-2 aws/m6i.large azure/Standard_D2s_v5"; strings.Join(got, " ") != want {
		t.Errorf("rows %v, want %s", got, want)
	}
}

func TestWriteJSONContract(t *testing.T) {
	p := Placement{Cloud: "aws", Region: "us-east-1", InstanceType: "m6i.2xlarge", VCPUs: 8, MemoryGiB: 32, HourlyCostPerNode: 0.384, HourlyCost: 0.768, NumNodes: 2}
	var b bytes.Buffer
	if err := WriteJSON(&b, &TaskPlan{Name: "a", NumNodes: 2, Chosen: &p, Candidates: []Placement{p}}); err != nil {
		t.Fatal(err)
	}
	want := `{"tasks":[{"name":"a","num_nodes":2,"chosen":{"cloud":"aws","region":"us-east-1","zone":null,"instance_type":"m6i.2xlarge","accelerators":{},"use_spot":false,"vcpus":8,"memory_gib":32,"hourly_cost_per_node":0.384,"hourly_cost":0.768},"candidates":[{"cloud":"aws","region":"us-east-1","zone":null,"instance_type":"m6i.2xlarge","accelerators":{},"use_spot":false,"vcpus":8,"memory_gib":32,"hourly_cost_per_node":0.384,"hourly_cost":0.768}]}],"hourly_cost":0.768}`
	var compact bytes.Buffer
	if err := json.Compact(&compact, b.Bytes()); err != nil {
		t.Fatal(err)
	}
	if compact.String() != want {
		t.Errorf("got  %s\nwant %s", compact.String(), want)
	}
}
