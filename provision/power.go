package provision

import (
	"context"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/skyhome"
)

// PowerFile is an extra root file that pins the nodes' power state (skyplan
// stop/start) with the cloud's resource (cloud.Power: aws_ec2_instance_state), so stopping goes through
// Terraform like everything else. The compiler's WriteDir leaves it alone
// (it removes only files it generated), so a later apply keeps the state.
const PowerFile = "skyplan_power.tf"

// ErrPowerUnsupported: the cloud or market cannot be stopped by skyplan.
var ErrPowerUnsupported = fmt.Errorf("stopping and starting is supported for AWS on-demand clusters only")

// CanStop reports whether skyplan can stop a cluster on cloud: the
// cloud's cloud.Power, the same answer autostop follows.
func CanStop(cloudName string, spot bool) bool {
	ok, _ := cloud.CanStop(cloudName, spot)
	return ok
}

// renderPower writes the cloud's power file.
func renderPower(p cloud.Power, running bool) ([]byte, string, error) {
	src, target := p.PowerHCL(running)
	f, diags := hclwrite.ParseConfig([]byte(src), PowerFile, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, "", diags
	}
	return hclwrite.Format(f.Bytes()), target, nil
}

// SetPower stops (running=false) or starts the cluster's instances through
// Terraform. After a start it refreshes the state, because the instances'
// addresses change and the nodes output must show the new ones.
func SetPower(ctx context.Context, ws *Workspace, cloudName string, spot, running bool) error {
	p, ok := cloud.As[cloud.Power](cloudName)
	if !ok || !CanStop(cloudName, spot) {
		return ErrPowerUnsupported
	}
	b, target, err := renderPower(p, running)
	if err != nil {
		return err
	}
	if err := skyhome.WriteFileAtomic(filepath.Join(ws.Dir, PowerFile), b, 0o644); err != nil {
		return err
	}
	if err := ws.Init(ctx); err != nil {
		return err
	}
	// Only the power state changes: stop/start must not roll out other
	// pending changes of the cluster's configuration on the way.
	if _, err := ws.Apply(ctx, "", ApplyOptions{Targets: []string{target}}); err != nil {
		return err
	}
	if running {
		_, err = ws.Apply(ctx, "", ApplyOptions{RefreshOnly: true})
	}
	return err
}

// PowerStopped reports whether the directory pins the nodes as stopped.
func PowerStopped(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, PowerFile))
	return err == nil && strings.Contains(string(b), `"stopped"`)
}
