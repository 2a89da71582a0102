package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// ValidateOptions are `skyplan validate`'s flags and argument.
type ValidateOptions struct {
	IO     *IO
	Task   TaskOptions
	Path   string
	NArgs  int
	Output string
	// SyntaxOnly skips the feasibility check against the catalog.
	SyntaxOnly bool
}

func init() { register(func(io *IO) *cli.Command { return newValidateCmd(io, runValidate) }) }

func newValidateCmd(io *IO, runF func(*ValidateOptions) error) *cli.Command {
	o := &ValidateOptions{IO: io}
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a task YAML (and overrides), and that the catalog can place it (no credentials, no cloud call)",
		ArgsUsage: "TASK.yaml",
		Description: "Checks the file (fields, types, values), the overrides and the local sources (workdir, file mounts,\n" +
			"bucket sources), then asks the optimizer whether any cloud in the price catalog can run each task, as\n" +
			"`plan --dryrun` does (every catalog cloud, whatever `skyplan check` enabled). An infeasible task\n" +
			"(H100:9, cpus: 1000, an instance type the catalog lacks) gets the same located errors as plan.\n" +
			"--syntax-only skips the catalog and checks the file alone.",
		Flags: append(o.Task.flags(), outputFlag(&o.Output, "text", "text or json (the verdict on stdout)"),
			&cli.BoolFlag{Name: "syntax-only", Destination: &o.SyntaxOnly, Usage: "check the file only, not whether the catalog can place it"}),
		Action: func(c *cli.Context) error {
			o.Path, o.NArgs = c.Args().First(), c.NArg()
			return runF(o)
		},
	}
}

// validateVerdict is validate's JSON document; "diagnostics" is always
// present. Valid is the verdict of every check that ran; Checks names
// them ("syntax": the file, overrides and local sources; "feasibility":
// the catalog can place every task), and Feasible is false when the
// feasibility check ran and failed or did not run.
type validateVerdict struct {
	Valid    bool     `json:"valid"`
	Tasks    int      `json:"tasks"`
	Feasible bool     `json:"feasible"`
	Checks   []string `json:"checks"`
}

func runValidate(o *ValidateOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "text", "json"); err != nil {
		return err
	}
	io.withDiagnostics()
	v := validateVerdict{Checks: []string{"syntax"}}
	io.setResult(v)
	if o.NArgs > 1 {
		return tooManyArgs("validate")
	}
	pl, ds := o.Task.load(io, "validate", o.Path)
	if ds.HasErrors() {
		return fail(ds)
	}
	n := len(pl.Tasks)
	v.Tasks = n
	plural := map[bool]string{true: "", false: "s"}[n == 1]
	if o.SyntaxOnly {
		v.Valid = true
		io.setResult(v)
		fmt.Fprintf(io.Err, "%s is valid (%d task%s; syntax only: whether the catalog can place it was not checked).\n", o.Path, n, plural)
		return done(ds)
	}
	v.Checks = append(v.Checks, "feasibility")
	io.setResult(v)
	fds := feasibility(io, pl)
	ds = append(ds, fds...)
	if fds.HasErrors() {
		return fail(ds)
	}
	v.Valid, v.Feasible = true, true
	io.setResult(v)
	fmt.Fprintf(io.Err, "%s is valid (%d task%s) and the catalog can place it.\n", o.Path, n, plural)
	return done(ds)
}

// feasibility asks the optimizer to place every task over the whole
// catalog, as plan --dryrun does: no credentials, no cloud call. Its
// errors are plan's, located at the fields that made a task infeasible.
func feasibility(io *IO, pl *task.Pipeline) diag.Diagnostics {
	opts, ds := optimizerOptionsFor(io, pl, true)
	if ds.HasErrors() {
		return ds
	}
	for _, t := range pl.Tasks {
		plan, pds := optimizer.Optimize(t, opts)
		ds = append(ds, pds...)
		if !pds.HasErrors() && (plan == nil || plan.Chosen == nil) {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "No feasible placement",
				Detail: fmt.Sprintf("No cloud, region and instance type in the catalog can run task %q.", t.Name)})
		}
	}
	return ds
}
