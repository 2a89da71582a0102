// Package optimizer turns task resource requests and catalog offers into
// ranked placements, following SkyPilot's optimizer semantics.
package optimizer

import (
	"encoding/json"
	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds placements are planned on

	"github.com/skyplan/skyplan/task"
)

// Placement is one launchable choice: cloud, region, optional zone, instance
// type, market, and its price. It is what the compiler turns into Terraform.
type Placement struct {
	Cloud        string             `json:"cloud"`
	Region       string             `json:"region"`
	Zone         string             `json:"zone"` // "" = region-level (rendered as null)
	InstanceType string             `json:"instance_type"`
	Accelerators map[string]float64 `json:"accelerators"` // {} for CPU-only
	UseSpot      bool               `json:"use_spot"`
	VCPUs        float64            `json:"vcpus"`
	MemoryGiB    float64            `json:"memory_gib"`
	// HourlyCostPerNode is the price of one node (GCP: host + accelerator).
	HourlyCostPerNode float64 `json:"hourly_cost_per_node"`
	// HourlyCost is HourlyCostPerNode × NumNodes.
	HourlyCost float64 `json:"hourly_cost"`

	NumNodes int `json:"-"`
	// Zones lists the zones to try inside the region for a region-level
	// placement (AWS/Azure on-demand), cheapest first. Empty for Azure.
	Zones []string `json:"-"`
	// Request is the task's candidate resources this placement satisfies
	// (ports, disk, image, labels... that the compiler needs).
	Request *task.Resources `json:"-"`
	// RequestIndex is the index of Request in the task's ResourceSet.
	RequestIndex int `json:"-"`
}

// MarshalJSON renders the plan JSON contract's field order, with an empty
// zone as null and CPU-only accelerators as {}.
func (p Placement) MarshalJSON() ([]byte, error) {
	out := struct {
		Cloud             string             `json:"cloud"`
		Region            string             `json:"region"`
		Zone              *string            `json:"zone"`
		InstanceType      string             `json:"instance_type"`
		Accelerators      map[string]float64 `json:"accelerators"`
		UseSpot           bool               `json:"use_spot"`
		VCPUs             float64            `json:"vcpus"`
		MemoryGiB         float64            `json:"memory_gib"`
		HourlyCostPerNode float64            `json:"hourly_cost_per_node"`
		HourlyCost        float64            `json:"hourly_cost"`
	}{p.Cloud, p.Region, nil, p.InstanceType, p.Accelerators, p.UseSpot, p.VCPUs, p.MemoryGiB, p.HourlyCostPerNode, p.HourlyCost}
	if p.Zone != "" {
		z := p.Zone
		out.Zone = &z
	}
	if out.Accelerators == nil {
		out.Accelerators = map[string]float64{}
	}
	return json.Marshal(out)
}

// Blocked is a location the fallback loop ruled out: cloud.Block, the one
// blocked-set type the optimizer, provision and state share.
type Blocked = cloud.Block

// Key is the placement's canonical key (cloud.Key): its one label
// (String), equality (Equal) and what blocks match against.
func (p Placement) Key() cloud.Key {
	return cloud.Key{Cloud: p.Cloud, Region: p.Region, Zone: p.Zone, InstanceType: p.InstanceType, Spot: p.UseSpot}
}

// TaskPlan is the optimizer's answer for one task.
type TaskPlan struct {
	Name     string     `json:"name"`
	NumNodes int        `json:"num_nodes"`
	Chosen   *Placement `json:"chosen"`
	// Candidates are every feasible placement, sorted by hourly cost
	// (for ordered resource lists: by list order, then cost).
	Candidates []Placement `json:"candidates"`
	// Hints are SkyPilot's informational notes ("Multiple AWS instances
	// satisfy L4:1 ..."), for table output on stderr; never in JSON.
	Hints []string `json:"-"`
}
