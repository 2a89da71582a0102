package cluster

import (
	"fmt"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// CompileRequest compiles one placement into a standalone root module
// (what `skyplan compile` writes for infra teams to keep).
type CompileRequest struct {
	Cluster   string
	Task      *task.Task
	Placement optimizer.Placement
	SSHCIDRs  []string
	// Command is the command line written into the generated header.
	Command string
	// OutDir, when set, is where the module is written (atomically).
	OutDir string
}

// CompileResult is a compiled root module.
type CompileResult struct {
	// Paths are the module's files, relative and sorted.
	Paths []string
	// MainTF is the root main.tf.
	MainTF []byte
}

// Compile compiles req.Placement; with OutDir it writes the module there.
func (m *Manager) Compile(req CompileRequest) (*CompileResult, diag.Diagnostics) {
	mod, ds := m.module(req.Task, req.Cluster, req.Placement, req.SSHCIDRs, req.Command, false)
	if ds.HasErrors() {
		return nil, ds
	}
	if req.OutDir != "" {
		if err := mod.WriteDir(req.OutDir); err != nil {
			return nil, ds.Append(fmt.Errorf("writing %s: %w", req.OutDir, err))
		}
	}
	return &CompileResult{Paths: mod.Paths(), MainTF: mod.Files[compiler.MainFile]}, ds
}

// ResourceName is the cloud-safe form of a cluster name that its cloud
// resources are named after (the CLI warns when it differs from the name).
func ResourceName(name string) string { return compiler.SafeName(name) }
