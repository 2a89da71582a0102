package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/controller/remote"
	"github.com/skyplan/skyplan/controllervm"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/skyhome"
)

// The controller VM's operations: its two Terraform roots (controllervm)
// applied and destroyed like a cluster's, and an SSH shell to it through
// the runner's connection code. `skyplan controller up|down` and the
// forwarded jobs/serve commands call these.

// ControllerSpec is a resolved remote controller (controllervm.Spec).
type ControllerSpec struct {
	Cloud, Region, InstanceType string
	IdleMinutes                 int
	HourlyPrice                 float64
	VCPUs, MemoryGiB            float64
	Arch                        string
	ImageID                     string
}

// ControllerHome is the daemon's SKYPLAN_HOME on the VM (on the state volume).
const ControllerHome = controllervm.StateMount + "/home"

// ResolveController fills the default region and instance type of a
// remote controller setting from the catalog, for the architecture of the
// running binary (the one copied to the VM).
func (m *Manager) ResolveController(cc config.ControllerConfig) (ControllerSpec, diag.Diagnostics) {
	cat, err := m.catalogOrLoad()
	if err != nil {
		return ControllerSpec{}, diag.Diagnostics{}.Append(err)
	}
	s, ds := controllervm.Resolve(cc, cat, runtime.GOARCH)
	return ControllerSpec(s), ds
}

// ControllerVMRequest is one apply or destroy of the controller's roots.
type ControllerVMRequest struct {
	Name string
	Spec ControllerSpec
	// Dir holds the compiled roots (remote.RecordDir).
	Dir string
	// KeepVolume (destroy only) keeps the state volume root.
	KeepVolume bool
	Log        io.Writer
}

// ControllerVM is the applied controller: its one node.
type ControllerVM struct {
	InstanceID, PublicIP, PrivateIP, Zone, SSHUser string
	// NodeBoundary is the permissions boundary the controller's node
	// roles must carry (the module's node_permissions_boundary output).
	NodeBoundary string
}

// ControllerApply compiles the controller's roots into req.Dir and applies
// them in controllervm.ApplyOrder (the state volume first).
func (m *Manager) ControllerApply(ctx context.Context, req ControllerVMRequest) (*ControllerVM, diag.Diagnostics) {
	log := m.logTo(req.Log)
	_, pub, err := skyhome.EnsureSSHKey()
	if err != nil {
		return nil, diag.Diagnostics{}.Append(fmt.Errorf("skyplan SSH key: %w", err))
	}
	in := controllervm.Input{Name: req.Name, Spec: controllervm.Spec(req.Spec), SSHPublicKey: pub,
		SkyplanVersion: m.version, Command: "skyplan controller up",
		AWSSkipAccountChecks: m.getenv("AWS_ENDPOINT_URL") != ""}
	if cat, err := m.catalogOrLoad(); err == nil && cat != nil {
		in.Images = cat
	}
	in.ApplyConfig(m.cfg)
	mod, ds := controllervm.Compile(in)
	if ds.HasErrors() {
		return nil, ds
	}
	if err := mod.WriteDir(req.Dir); err != nil {
		return nil, ds.Append(err)
	}
	release, lds := m.lock("controller/"+req.Name, "controller up")
	if lds.HasErrors() {
		return nil, append(ds, lds...)
	}
	defer release()
	var vm *ControllerVM
	for _, root := range controllervm.ApplyOrder {
		ws, err := m.workspace(ctx, filepath.Join(req.Dir, root), log)
		if err != nil {
			return nil, ds.Append(err)
		}
		if err := ws.Init(ctx); err != nil {
			return nil, append(ds, terraformDiags(err, req.Name)...)
		}
		if _, err := ws.Apply(ctx, ""); err != nil {
			return nil, append(ds, terraformDiags(err, req.Name)...)
		}
		if root != "." {
			continue
		}
		nodes, err := ws.Nodes(ctx)
		if err != nil || len(nodes) != 1 {
			return nil, ds.Append(fmt.Errorf("reading the controller's nodes output: %d nodes, %v", len(nodes), err))
		}
		n := nodes[0]
		vm = &ControllerVM{InstanceID: n.InstanceID, PublicIP: n.PublicIP, PrivateIP: n.PrivateIP, Zone: n.Zone, SSHUser: n.SSHUser}
		if vm.NodeBoundary, err = ws.StringOutput(ctx, "node_permissions_boundary"); err != nil {
			return nil, ds.Append(err)
		}
	}
	return vm, ds
}

// ControllerDestroy destroys the controller's roots in
// controllervm.DestroyOrder (without the volume when req.KeepVolume).
func (m *Manager) ControllerDestroy(ctx context.Context, req ControllerVMRequest) diag.Diagnostics {
	log := m.logTo(req.Log)
	release, ds := m.lock("controller/"+req.Name, "controller down")
	if ds.HasErrors() {
		return ds
	}
	defer release()
	for _, root := range controllervm.DestroyOrder {
		if root == controllervm.VolumeDir && req.KeepVolume {
			continue
		}
		dir := filepath.Join(req.Dir, root)
		if _, err := os.Stat(filepath.Join(dir, "main.tf")); err != nil {
			continue // never compiled: nothing was created from it
		}
		ws, err := m.workspace(ctx, dir, log)
		if err != nil {
			return ds.Append(err)
		}
		if err := ws.Init(ctx); err != nil {
			return append(ds, terraformDiags(err, req.Name)...)
		}
		if _, err := ws.Destroy(ctx); err != nil {
			return append(ds, terraformDiags(err, req.Name)...)
		}
	}
	return ds
}

// ControllerShell opens SSH to the controller VM: host key pinned in its
// own known_hosts (forgotten when the instance is replaced), the cloud's
// ssh_proxy_command honoured, waiting up to timeout for sshd.
func (m *Manager) ControllerShell(ctx context.Context, name, cloudName string, vm ControllerVM, timeout time.Duration) (remote.Shell, error) {
	cfg := m.cfg.Cloud(cloudName)
	host := vm.PublicIP
	if host == "" || cfg.UsePrivateIP {
		host = vm.PrivateIP
	}
	user := vm.SSHUser
	if user == "" {
		user = cloud.DefaultSSHUser(cloudName)
	}
	cl := &runner.Cluster{Name: name, Cloud: cloudName,
		Nodes:          []runner.Node{{Rank: 0, Host: host, PrivateIP: vm.PrivateIP, Port: 22, User: user, InstanceID: vm.InstanceID}},
		ProxyCommand:   m.cfg.ProxyCommand(cloudName),
		KnownHostsFile: ControllerKnownHosts(name)}
	r := &runner.Runner{ReconnectWindow: 10 * time.Second}
	return r.OpenShell(ctx, cl, timeout)
}

// ControllerKnownHosts pins the controller VM's host key.
func ControllerKnownHosts(name string) string { return runner.KnownHostsPath("controller-" + name) }
