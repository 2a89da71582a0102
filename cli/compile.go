package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		flags := append(taskFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "`DIR` to write the root module to (\"-\" prints main.tf to stdout)"},
			&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Usage: "cluster `NAME` (default: the task's name)"},
			&cli.StringSliceFlag{Name: "ssh-cidr", Usage: "`CIDR` allowed to SSH to the nodes (repeatable; default: ssh_cidrs from config)"},
		)
		return &cli.Command{
			Name:      "compile",
			Usage:     "compile a task's cheapest placement into a standalone Terraform root module",
			ArgsUsage: "TASK.yaml -o DIR",
			Description: "Writes DIR/main.tf, DIR/skyplan.auto.tfvars.json and DIR/modules/<cloud> (plus DIR/buckets for\n" +
				"persistent buckets), so `cd DIR && terraform init && terraform plan` works without skyplan.",
			Flags:  flags,
			Action: func(c *cli.Context) error { return runCompile(c, io) },
		}
	})
}

func runCompile(c *cli.Context, io *IO) error {
	out := c.String("output")
	if out == "" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing output directory",
			Detail: "Give the directory to write with -o DIR, or -o - to print main.tf.", Field: "--output"}})
	}
	if c.NArg() > 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
			Detail: "compile takes one task file; put flags before or after it."}})
	}
	path := c.Args().First()
	pl, ds := loadTaskFromFlags(c, io, path)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	ds = append(ds, refuseUnplannable(pl)...)
	if len(pl.Tasks) != 1 {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "compile takes a single task",
			Detail: fmt.Sprintf("%s holds a pipeline of %d tasks; compile one task file at a time.", path, len(pl.Tasks))})
	}
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	t := pl.Tasks[0]
	opts, ods := optimizerOptions(io, pl)
	if ods.HasErrors() {
		return Exit(ExitFailure, ods)
	}
	plan, pds := optimizer.Optimize(t, opts)
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if plan == nil || plan.Chosen == nil {
		return Exit(ExitFailure, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No feasible placement",
			Detail: "The optimizer found no cloud, region and instance type for this task."}))
	}
	cfg, cds := config.Load(".")
	ds = append(ds, cds...)
	if cds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	_, pub, err := skyhome.EnsureSSHKey()
	if err != nil {
		return Exit(ExitFailure, ds.Append(fmt.Errorf("skyplan SSH key: %w", err)))
	}
	name := c.String("cluster")
	if name == "" {
		name = t.Name
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	placement := *plan.Chosen
	if placement.NumNodes == 0 {
		placement.NumNodes = t.NumNodes
	}
	if placement.Request == nil && placement.RequestIndex < len(t.Resources.Items) {
		placement.Request = &t.Resources.Items[placement.RequestIndex]
	}
	in := compiler.Input{
		ClusterName:    name,
		Task:           t,
		Placement:      placement,
		SSHPublicKey:   pub,
		SSHCIDRs:       c.StringSlice("ssh-cidr"),
		SkyplanVersion: Version,
		Command:        regenerateCommand(path, out, c.String("cluster")),
	}
	if cat, err := loadCatalog(); err == nil && cat != nil { // loaded by optimizerOptions
		in.Images = cat
	}
	in.ApplyConfig(cfg)
	m, mds := compiler.Compile(in)
	ds = append(ds, mds...)
	if mds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	writeWarnings(c, io, ds)
	if out == "-" {
		_, err := io.Out.Write(m.Files[compiler.MainFile])
		return err
	}
	if err := m.WriteDir(out); err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(fmt.Errorf("writing %s: %w", out, err)))
	}
	p := placement
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
		name, p.Cloud, where, p.NumNodes, p.InstanceType, market, p.HourlyCost, out)
	for _, f := range m.Paths() {
		fmt.Fprintln(io.Out, filepath.Join(out, filepath.FromSlash(f)))
	}
	return nil
}

// regenerateCommand is the command line written into the generated header.
func regenerateCommand(task, out, cluster string) string {
	cmd := "skyplan compile " + task + " -o " + out
	if cluster != "" {
		cmd += " -c " + cluster
	}
	return cmd
}
