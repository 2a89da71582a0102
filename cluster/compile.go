package cluster

import (
	"fmt"
	"strings"

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
	// PortsCIDRs may reach the task's ports (default: config ports_cidrs).
	PortsCIDRs []string
	// Command is the command line written into the generated header.
	Command string
	// SSHPublicKey is the key line written into the tfvars (compile
	// --ssh-public-key FILE); empty leaves ssh_public_key a required input.
	// skyplan's own key never goes into a compiled module.
	SSHPublicKey string
	// OutDir, when set, is where the module is written (atomically).
	OutDir string
	// Force writes into an OutDir that holds files skyplan did not write.
	Force bool
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
	mod, ds := m.module(req.Task, req.Cluster, req.Placement, req.SSHCIDRs, req.PortsCIDRs, req.Command, req.SSHPublicKey, false)
	if ds.HasErrors() {
		return nil, ds
	}
	if req.OutDir != "" {
		if !req.Force {
			foreign, err := compiler.ForeignFiles(req.OutDir)
			if err != nil {
				return nil, ds.Append(fmt.Errorf("reading %s: %w", req.OutDir, err))
			}
			if len(foreign) > 0 {
				return nil, ds.Append(foreignFilesError(req.OutDir, foreign))
			}
		}
		if err := mod.WriteDir(req.OutDir); err != nil {
			return nil, ds.Append(fmt.Errorf("writing %s: %w", req.OutDir, err))
		}
	}
	return &CompileResult{Paths: mod.Paths(), MainTF: mod.Files[compiler.MainFile]}, ds
}

func foreignFilesError(dir string, foreign []string) diag.Diagnostic {
	shown := foreign
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(foreign)-5))
	}
	return diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("%s holds files skyplan did not write", dir),
		Detail: fmt.Sprintf("Found %s. skyplan would overwrite them, or Terraform would load them as part of the module. "+
			"Give an empty or new directory, or pass --force to write there anyway (skyplan records its own files in %s/.skyplan-generated).",
			strings.Join(shown, ", "), dir),
		Field: "--out-dir"}
}

// ResourceName is the cloud-safe form of a cluster name that its cloud
// resources are named after (the CLI warns when it differs from the name).
func ResourceName(name string) string { return compiler.SafeName(name) }
