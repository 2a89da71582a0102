package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	// SSHPublicKeyFile is the team's key for the nodes (written into the
	// tfvars); empty leaves ssh_public_key a required input.
	SSHPublicKeyFile string
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
		&cli.StringFlag{Name: "ssh-public-key", Destination: &o.SSHPublicKeyFile, Usage: "OpenSSH public key `FILE` (e.g. the team's deploy key .pub) authorized on the nodes, written into the tfvars; default: none, ssh_public_key stays a required Terraform input (-var or TF_VAR_ssh_public_key), so the module does not depend on who compiled it"},
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
	teamKey, kds := readPublicKey(o.SSHPublicKeyFile)
	if kds.HasErrors() {
		return fail(ds, kds)
	}
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
		Command: regenerateCommand(o), SSHPublicKey: teamKey}
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
	if teamKey == "" {
		fmt.Fprintf(io.Err, "ssh_public_key is a required input: terraform plan -var ssh_public_key=\"$(cat KEY.pub)\" (or TF_VAR_ssh_public_key), or compile with --ssh-public-key FILE.\n")
	}
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

// readPublicKey reads compile --ssh-public-key FILE: one OpenSSH public
// key line ("" when no file was given).
func readPublicKey(file string) (string, diag.Diagnostics) {
	if file == "" {
		return "", nil
	}
	var ds diag.Diagnostics
	b, err := os.ReadFile(file)
	if err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Cannot read the SSH public key",
			Detail: fmt.Sprintf("%v. Give the .pub file of the key the nodes should accept, e.g. --ssh-public-key ~/.ssh/team_deploy.pub.", err), Field: "--ssh-public-key"})
		return "", ds
	}
	key := strings.TrimSpace(string(b))
	if strings.Contains(key, "PRIVATE KEY") {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "That is a private key",
			Detail: fmt.Sprintf("%s holds a private key, which must never go into Terraform files. Give its .pub file instead.", file), Field: "--ssh-public-key"})
		return "", ds
	}
	return key, nil
}

// regenerateCommand is the command line written into the generated
// header: run in the module's directory, with the task path relative to it
// and every flag that shaped the module, so a teammate regenerates the
// same files. --env, --env-file and --secret are left out: they shape no
// Terraform and may carry secrets.
func regenerateCommand(o *CompileOptions) string {
	out := o.OutDir
	if out == "-" {
		out = "."
	}
	args := []string{"skyplan", "compile", relTo(out, orTask(o.Path)), "--out-dir", "."}
	if o.OutDir == "-" {
		args[len(args)-1] = "-"
	}
	flag := func(name, v string) {
		if v != "" {
			args = append(args, "--"+name, v)
		}
	}
	to := &o.Task
	flag("infra", to.Infra)
	flag("gpus", to.GPUs)
	flag("cpus", to.CPUs)
	flag("memory", to.Memory)
	flag("instance-type", to.InstanceType)
	if to.NumNodesSet {
		flag("num-nodes", fmt.Sprint(to.NumNodes))
	}
	if to.UseSpotSet {
		args = append(args, fmt.Sprintf("--use-spot=%t", to.UseSpot))
	}
	if to.NoUseSpotSet {
		args = append(args, fmt.Sprintf("--no-use-spot=%t", to.NoUseSpot))
	}
	flag("disk-size", to.DiskSize)
	flag("disk-tier", to.DiskTier)
	for _, p := range to.Ports.values {
		flag("ports", p)
	}
	flag("image-id", to.ImageID)
	flag("name", to.Name)
	flag("cluster", o.Cluster)
	for _, c := range o.SSHCIDRs.Value() {
		flag("ssh-cidr", c)
	}
	for _, c := range o.PortsCIDRs.Value() {
		flag("ports-cidr", c)
	}
	if o.SSHPublicKeyFile != "" {
		flag("ssh-public-key", relTo(out, o.SSHPublicKeyFile))
	}
	for i := range args {
		args[i] = shellQuote(args[i])
	}
	return strings.Join(args, " ")
}

// relTo is path p as seen from directory dir, never absolute: a file
// outside any common root (another volume) is given by its base name.
func relTo(dir, p string) string {
	ad, err1 := filepath.Abs(dir)
	ap, err2 := filepath.Abs(p)
	if err1 == nil && err2 == nil {
		if r, err := filepath.Rel(ad, ap); err == nil {
			return filepath.ToSlash(r)
		}
	}
	return filepath.Base(p)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
