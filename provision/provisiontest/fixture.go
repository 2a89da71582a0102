package provisiontest

import (
	_ "embed"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/optimizer"
)

//go:embed awsfixture/main.tf
var fixtureMain []byte

// FixtureGenerator writes a small AWS root module for a placement (one
// security group + num_nodes instances) with the compiler's contract:
// location and sizes in skyplan.auto.tfvars.json, a `nodes` output. Tests
// use it until they can use the real compiler.
func FixtureGenerator(cluster string, numNodes int) func(p optimizer.Placement, dir string) error {
	return func(p optimizer.Placement, dir string) error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), fixtureMain, 0o644); err != nil {
			return err
		}
		vars, _ := json.MarshalIndent(map[string]any{
			"cluster_name": cluster, "region": p.Region, "zone": p.Zone,
			"instance_type": p.InstanceType, "num_nodes": numNodes, "use_spot": p.UseSpot,
		}, "", "  ")
		return os.WriteFile(filepath.Join(dir, "skyplan.auto.tfvars.json"), vars, 0o644)
	}
}
