package cli

import (
	"fmt"
	"path/filepath"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/urfave/cli/v2"
)

// CompileOptions are `skyplan compile`'s flags and argument.
type CompileOptions struct {
	IO         *IO
	Task       TaskOptions
	Path       string
	NArgs      int
	OutDir     string
	Force      bool
	Output     string
	Cluster    string
	SSHCIDRs   cli.StringSlice
	PortsCIDRs cli.StringSlice
}

func init() { register(func(io *IO) *cli.Command { return newCompileCmd(io, runCompile) }) }

func newCompileCmd(io *IO, runF func(*CompileOptions) error) *cli.Command {
	o := &CompileOptions{IO: io}
	flags := append(o.Task.flags(),
		&cli.StringFlag{Name: "out-dir", Destination: &o.OutDir, Usage: "`DIR` to write the root module to (\"-\" prints main.tf to stdout)"},
		&cli.BoolFlag{Name: "force", Destination: &o.Force, Usage: "write into --out-dir even if it holds files skyplan did not write there"},
		outputFlag(&o.Output, "text", "text (compile writes Terraform files, not JSON: give --out-dir)"),
		&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Destination: &o.Cluster, Usage: "cluster `NAME` (default: the task's name)"},
		&cli.StringSliceFlag{Name: "ssh-cidr", Destination: &o.SSHCIDRs, Usage: "`CIDR` allowed to SSH to the nodes (repeatable; default: ssh_cidrs from config; compile never detects an address: its module is applied elsewhere)"},
		&cli.StringSliceFlag{Name: "ports-cidr", Destination: &o.PortsCIDRs, Usage: "`CIDR` allowed to reach the task's ports (repeatable; default: ports_cidrs from config, else 0.0.0.0/0 with a warning)"},
	)
	return &cli.Command{
		Name:      "compile",
		Usage:     "compile a task's cheapest placement into a standalone Terraform root module",
		ArgsUsage: "TASK.yaml --out-dir DIR",
		Description: "Writes DIR/main.tf, DIR/skyplan.auto.tfvars.json and DIR/modules/<cloud> (plus DIR/buckets for\n" +
			"persistent buckets), so `cd DIR && terraform init && terraform plan` works without skyplan.",
		Flags: flags,
		Action: func(c *cli.Context) error {
			o.Path, o.NArgs = c.Args().First(), c.NArg()
			return runCompile(o)
		},
	}
}

func runCompile(o *CompileOptions) error {
	io := o.IO
	io.useView(o.Output)
	if o.Output != "text" {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "compile writes Terraform, not " + o.Output,
			Detail: fmt.Sprintf("-o is the output format everywhere, and compile has only text. Write the module with --out-dir DIR (e.g. skyplan compile %s --out-dir %s), or --out-dir - to print main.tf.", orTask(o.Path), outDirHint(o.Output)),
			Field:  "--output"})
	}
	if o.OutDir == "" {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Missing output directory",
			Detail: "Give the directory to write with --out-dir DIR, or --out-dir - to print main.tf.", Field: "--out-dir"})
	}
	if o.NArgs > 1 {
		return tooManyArgs("compile")
	}
	pl, ds := o.Task.loadPlannable(io, "compile", o.Path)
	if ds.HasErrors() {
		return fail(ds)
	}
	if len(pl.Tasks) != 1 {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "compile takes a single task",
			Detail: fmt.Sprintf("%s holds a pipeline of %d tasks; compile one task file at a time.", o.Path, len(pl.Tasks))})
	}
	if ds.HasErrors() {
		return fail(ds)
	}
	t := pl.Tasks[0]
	opts, ods := optimizerOptionsFor(io, pl, true)
	if ods.HasErrors() {
		return fail(ds, ods)
	}
	plan, pds := optimizer.Optimize(t, opts)
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return fail(ds)
	}
	if plan == nil || plan.Chosen == nil {
		return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No feasible placement",
			Detail: "The optimizer found no cloud, region and instance type for this task."})
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	name := clusterName(o.Cluster, t, o.Path)
	ds = append(ds, renamedCluster(o.Cluster)...)
	p := *plan.Chosen
	if p.NumNodes == 0 {
		p.NumNodes = t.NumNodes
	}
	req := cluster.CompileRequest{Cluster: name, Task: t, Placement: p, SSHCIDRs: o.SSHCIDRs.Value(), PortsCIDRs: o.PortsCIDRs.Value(),
		Command: regenerateCommand(o.Path, o.OutDir, o.Cluster)}
	if o.OutDir != "-" {
		req.OutDir, req.Force = o.OutDir, o.Force
	}
	res, cds := m.Compile(req)
	ds = append(ds, cds...)
	if cds.HasErrors() {
		return fail(ds)
	}
	if o.OutDir == "-" {
		if _, err := io.Out.Write(res.MainTF); err != nil {
			return fail(ds, err)
		}
		return done(ds)
	}
	where := p.Region
	if p.Zone != "" {
		where += "/" + p.Zone
	} else if len(p.Zones) > 0 {
		where += "/" + p.Zones[0]
	}
	market := "on-demand"
	if p.UseSpot {
		market = "spot"
	}
	fmt.Fprintf(io.Err, "Wrote Terraform for cluster %q: %s %s, %d× %s (%s), $%.2f/h. Next: cd %s && terraform init && terraform plan\n",
		name, p.Cloud, where, p.NumNodes, p.InstanceType, market, p.HourlyCost, o.OutDir)
	for _, f := range res.Paths {
		fmt.Fprintln(io.Out, filepath.Join(o.OutDir, filepath.FromSlash(f)))
	}
	return done(ds)
}

func orTask(p string) string {
	if p == "" {
		return "task.yaml"
	}
	return p
}

// outDirHint is the directory the user probably meant by -o DIR.
func outDirHint(format string) string {
	if format == "json" || format == "" {
		return "out"
	}
	return format
}

// regenerateCommand is the command line written into the generated header.
func regenerateCommand(task, out, cluster string) string {
	cmd := "skyplan compile " + task + " --out-dir " + out
	if cluster != "" {
		cmd += " -c " + cluster
	}
	return cmd
}
