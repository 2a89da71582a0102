package cli

import (
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// knownAccelerators supplies canonical accelerator names for task parsing.
// The catalog package sets it (nil = accept every name as written).
var knownAccelerators = func() []string { return nil }

// multiString is a repeatable string flag that, unlike StringSliceFlag,
// never splits values on commas (--env K=a,b keeps "a,b").
type multiString struct{ values []string }

func (m *multiString) Set(v string) error { m.values = append(m.values, v); return nil }
func (m *multiString) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.values, " ")
}

// TaskOptions are `sky launch`'s task overrides, shared by validate, plan,
// compile, apply and exec, bound to their flags.
type TaskOptions struct {
	Infra, GPUs, CPUs, Memory, InstanceType string
	NumNodes                                int
	NumNodesSet                             bool
	UseSpot, NoUseSpot                      bool
	UseSpotSet, NoUseSpotSet                bool
	DiskSize, DiskTier, ImageID, Name       string
	Workdir                                 string
	Ports, Envs, EnvFiles, Secrets          multiString

	// localPathsOnlyWarn: a missing local source is a warning, not an
	// error (plan --dryrun prices a task and syncs nothing).
	localPathsOnlyWarn bool
}

// flags binds the override flags to o (fresh values per command).
func (o *TaskOptions) flags() []cli.Flag {
	const cat = "Task overrides"
	return []cli.Flag{
		&cli.StringFlag{Name: "infra", Destination: &o.Infra, Usage: "pin a `CLOUD[/REGION[/ZONE]]`: aws, gcp, azure or ssh/POOL (e.g. gcp/us-central1)", Category: cat},
		&cli.StringFlag{Name: "gpus", Destination: &o.GPUs, Usage: "accelerators NAME[:COUNT] for every candidate (\"none\" removes them)", Category: cat},
		&cli.StringFlag{Name: "cpus", Destination: &o.CPUs, Usage: "vCPUs: N or N+ (at least)", Category: cat},
		&cli.StringFlag{Name: "memory", Destination: &o.Memory, Usage: "memory GB: N, N+, NGB, Nx (per vCPU)", Category: cat},
		&cli.StringFlag{Name: "instance-type", Aliases: []string{"t"}, Destination: &o.InstanceType, Usage: "instance type (\"none\" removes it)", Category: cat},
		&cli.IntFlag{Name: "num-nodes", Destination: &o.NumNodes, Usage: "number of nodes (>= 1)", DefaultText: "the task's num_nodes, else 1", Category: cat,
			Action: func(*cli.Context, int) error { o.NumNodesSet = true; return nil }},
		&cli.BoolFlag{Name: "use-spot", Destination: &o.UseSpot, Usage: "use spot instances", Category: cat,
			Action: func(*cli.Context, bool) error { o.UseSpotSet = true; return nil }},
		&cli.BoolFlag{Name: "no-use-spot", Destination: &o.NoUseSpot, Usage: "use on-demand instances", Category: cat,
			Action: func(*cli.Context, bool) error { o.NoUseSpotSet = true; return nil }},
		&cli.StringFlag{Name: "disk-size", Destination: &o.DiskSize, Usage: "OS disk size: 256, 256GB, 1TB", Category: cat},
		&cli.StringFlag{Name: "disk-tier", Destination: &o.DiskTier, Usage: "low, medium, high, ultra, best or none", Category: cat},
		&cli.GenericFlag{Name: "ports", Value: &o.Ports, Usage: "port or range to open (repeatable; 8080, 10052-10100)", Category: cat},
		&cli.StringFlag{Name: "image-id", Destination: &o.ImageID, Usage: "image (ami-..., projects/..., docker:IMAGE)", Category: cat},
		&cli.GenericFlag{Name: "env", Value: &o.Envs, Usage: "K=V, or K to copy the local value (repeatable)", Category: cat},
		&cli.GenericFlag{Name: "env-file", Value: &o.EnvFiles, Usage: "dotenv file of K=V lines (repeatable)", Category: cat},
		&cli.GenericFlag{Name: "secret", Value: &o.Secrets, Usage: "K=V, or K to copy the local value (repeatable; never printed)", Category: cat},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Destination: &o.Name, Usage: "task name", Category: cat},
		&cli.StringFlag{Name: "workdir", Destination: &o.Workdir, Usage: "local working directory to sync", Category: cat},
	}
}

// overrides turns the flags into the parser's overrides.
func (o *TaskOptions) overrides() (task.Overrides, diag.Diagnostics) {
	ov := task.Overrides{
		Infra: o.Infra, GPUs: o.GPUs, CPUs: o.CPUs, Memory: o.Memory,
		InstanceType: o.InstanceType, DiskSize: o.DiskSize, DiskTier: o.DiskTier,
		ImageID: o.ImageID, Name: o.Name, Workdir: o.Workdir,
		Envs: o.Envs.values, Secrets: o.Secrets.values, EnvFiles: o.EnvFiles.values,
	}
	var ds diag.Diagnostics
	for _, p := range o.Ports.values {
		for _, s := range strings.Split(p, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ov.Ports = append(ov.Ports, s)
			}
		}
	}
	if o.NumNodesSet {
		ov.NumNodes = o.NumNodes
		if ov.NumNodes <= 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid num_nodes",
				Detail: "num_nodes should be a positive int. Got: " + itoa(o.NumNodes), Field: "--num-nodes"})
		}
	}
	spot, noSpot := o.UseSpotSet && o.UseSpot, o.NoUseSpotSet && o.NoUseSpot
	switch {
	case spot && noSpot:
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Conflicting spot flags",
			Detail: "Give either --use-spot or --no-use-spot, not both.", Field: "--use-spot"})
	case spot:
		v := true
		ov.UseSpot = &v
	case noSpot || (o.UseSpotSet && !o.UseSpot):
		v := false
		ov.UseSpot = &v
	}
	return ov, ds
}

// load loads a task file and applies the overrides; the diagnostics cover
// both. The pipeline is nil only when the file could not be parsed at all.
func (o *TaskOptions) load(io *IO, command, path string) (*task.Pipeline, diag.Diagnostics) {
	if path == "" {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing task file",
			Detail: "Give the task YAML as the first argument, e.g. skyplan " + command + " task.yaml."}}
	}
	ov, ds := o.overrides()
	pl, pds := task.Load(path, task.LoadOptions{Accelerators: knownAccelerators()})
	ds = append(ds, pds...)
	if pl == nil || ds.HasErrors() {
		return pl, ds
	}
	ds = append(ds, pl.ApplyOverrides(ov, io.Environ)...)
	// Local sources (workdir, file mounts, bucket sources) are checked once
	// the overrides are in (--workdir, --env), before any cloud call: apply
	// must not bring a cluster up and then fail to sync. SkyPilot checks
	// them when it reads the task, too.
	for _, t := range pl.Tasks {
		lds := t.CheckLocalPaths()
		if o.localPathsOnlyWarn {
			lds = missingLocalPathsAsWarnings(lds)
		}
		ds = append(ds, lds...)
	}
	return pl, ds
}

// loadPlannable loads a task file for a command that plans it: the
// overrides applied, and what plan cannot handle yet refused at its field.
func (o *TaskOptions) loadPlannable(io *IO, command, path string) (*task.Pipeline, diag.Diagnostics) {
	pl, ds := o.load(io, command, path)
	if ds.HasErrors() {
		return pl, ds
	}
	return pl, append(ds, refuseUnplannable(pl)...)
}

// tooManyArgs refuses more than one task file.
func tooManyArgs(command string) error {
	return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Too many arguments",
		Detail: command + " takes one task file; put flags before or after it."})
}

// missingLocalPathsAsWarnings turns the parser's "not found" errors for
// local sources into warnings, keeping their position and fix.
func missingLocalPathsAsWarnings(ds diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, len(ds))
	for i, d := range ds {
		if d.Severity == diag.Error && (d.Summary == "Workdir not found" || d.Summary == "File mount source not found") {
			d.Severity = diag.Warning
			d.Detail += " plan --dryrun goes on; validate, plan and apply refuse the task until it exists."
		}
		out[i] = d
	}
	return out
}

// sshCIDRFlag is --ssh-cidr of the commands that create clusters.
func sshCIDRFlag(dest *cli.StringSlice) cli.Flag {
	return &cli.StringSliceFlag{Name: "ssh-cidr", Destination: dest,
		Usage: "`CIDR` allowed to SSH to the nodes (repeatable; default: ssh_cidrs from config, else this machine's public address asked of ssh_detect_url)"}
}
