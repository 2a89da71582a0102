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

func repeatable(c *cli.Context, name string) []string {
	if m, ok := c.Generic(name).(*multiString); ok && m != nil {
		return m.values
	}
	return nil
}

// taskFlags are `sky launch`'s task overrides, shared by validate, plan,
// compile and apply. Each call returns fresh flag values.
func taskFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "infra", Usage: "pin cloud[/region[/zone]] (e.g. aws, gcp/us-central1, k8s)", Category: "Task overrides"},
		&cli.StringFlag{Name: "gpus", Usage: "accelerators NAME[:COUNT] for every candidate (\"none\" removes them)", Category: "Task overrides"},
		&cli.StringFlag{Name: "cpus", Usage: "vCPUs: N or N+ (at least)", Category: "Task overrides"},
		&cli.StringFlag{Name: "memory", Usage: "memory GB: N, N+, NGB, Nx (per vCPU)", Category: "Task overrides"},
		&cli.StringFlag{Name: "instance-type", Aliases: []string{"t"}, Usage: "instance type (\"none\" removes it)", Category: "Task overrides"},
		&cli.IntFlag{Name: "num-nodes", Usage: "number of nodes (>= 1)", Category: "Task overrides"},
		&cli.BoolFlag{Name: "use-spot", Usage: "use spot instances", Category: "Task overrides"},
		&cli.BoolFlag{Name: "no-use-spot", Usage: "use on-demand instances", Category: "Task overrides"},
		&cli.StringFlag{Name: "disk-size", Usage: "OS disk size: 256, 256GB, 1TB", Category: "Task overrides"},
		&cli.StringFlag{Name: "disk-tier", Usage: "low, medium, high, ultra, best or none", Category: "Task overrides"},
		&cli.GenericFlag{Name: "ports", Value: &multiString{}, Usage: "port or range to open (repeatable; 8080, 10052-10100)", Category: "Task overrides"},
		&cli.StringFlag{Name: "image-id", Usage: "image (ami-..., projects/..., docker:IMAGE)", Category: "Task overrides"},
		&cli.GenericFlag{Name: "env", Value: &multiString{}, Usage: "K=V, or K to copy the local value (repeatable)", Category: "Task overrides"},
		&cli.GenericFlag{Name: "env-file", Value: &multiString{}, Usage: "dotenv file of K=V lines (repeatable)", Category: "Task overrides"},
		&cli.GenericFlag{Name: "secret", Value: &multiString{}, Usage: "K=V, or K to copy the local value (repeatable; never printed)", Category: "Task overrides"},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "task name", Category: "Task overrides"},
		&cli.StringFlag{Name: "workdir", Usage: "local working directory to sync", Category: "Task overrides"},
	}
}

// overridesFromFlags reads taskFlags' values.
func overridesFromFlags(c *cli.Context) (task.Overrides, diag.Diagnostics) {
	o := task.Overrides{
		Infra: c.String("infra"), GPUs: c.String("gpus"), CPUs: c.String("cpus"), Memory: c.String("memory"),
		InstanceType: c.String("instance-type"), DiskSize: c.String("disk-size"), DiskTier: c.String("disk-tier"),
		ImageID: c.String("image-id"), Name: c.String("name"), Workdir: c.String("workdir"),
		Envs: repeatable(c, "env"), Secrets: repeatable(c, "secret"), EnvFiles: repeatable(c, "env-file"),
	}
	var ds diag.Diagnostics
	for _, p := range repeatable(c, "ports") {
		for _, s := range strings.Split(p, ",") {
			if s = strings.TrimSpace(s); s != "" {
				o.Ports = append(o.Ports, s)
			}
		}
	}
	if c.IsSet("num-nodes") {
		o.NumNodes = c.Int("num-nodes")
		if o.NumNodes <= 0 {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid num_nodes",
				Detail: "num_nodes should be a positive int. Got: " + c.String("num-nodes"), Field: "--num-nodes"})
		}
	}
	spot, noSpot := c.IsSet("use-spot") && c.Bool("use-spot"), c.IsSet("no-use-spot") && c.Bool("no-use-spot")
	switch {
	case spot && noSpot:
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Conflicting spot flags",
			Detail: "Give either --use-spot or --no-use-spot, not both.", Field: "--use-spot"})
	case spot:
		v := true
		o.UseSpot = &v
	case noSpot || (c.IsSet("use-spot") && !c.Bool("use-spot")):
		v := false
		o.UseSpot = &v
	}
	return o, ds
}

// loadTaskFromFlags loads a task file and applies the command line's
// overrides; the diagnostics cover both. The pipeline is nil only when
// the file could not be parsed at all.
func loadTaskFromFlags(c *cli.Context, io *IO, path string) (*task.Pipeline, diag.Diagnostics) {
	if path == "" {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing task file",
			Detail: "Give the task YAML as the first argument, e.g. skyplan " + c.Command.Name + " task.yaml."}}
	}
	o, ds := overridesFromFlags(c)
	pl, pds := task.Load(path, task.LoadOptions{Accelerators: knownAccelerators()})
	ds = append(ds, pds...)
	if pl == nil || ds.HasErrors() {
		return pl, ds
	}
	getenv := io.Environ
	ds = append(ds, pl.ApplyOverrides(o, getenv)...)
	return pl, ds
}
