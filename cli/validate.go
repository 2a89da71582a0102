package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// ValidateOptions are `skyplan validate`'s flags and argument.
type ValidateOptions struct {
	IO     *IO
	Task   TaskOptions
	Path   string
	NArgs  int
	Output string
}

func init() { register(func(io *IO) *cli.Command { return newValidateCmd(io, runValidate) }) }

func newValidateCmd(io *IO, runF func(*ValidateOptions) error) *cli.Command {
	o := &ValidateOptions{IO: io}
	return &cli.Command{
		Name:      "validate",
		Usage:     "check a task YAML (and overrides) without planning",
		ArgsUsage: "TASK.yaml",
		Flags:     append(o.Task.flags(), outputFlag(&o.Output, "text", "text or json (the verdict on stdout)")),
		Action: func(c *cli.Context) error {
			o.Path, o.NArgs = c.Args().First(), c.NArg()
			return runF(o)
		},
	}
}

// validateVerdict is validate's JSON document; "diagnostics" is always
// present.
type validateVerdict struct {
	Valid bool `json:"valid"`
	Tasks int  `json:"tasks"`
}

func runValidate(o *ValidateOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "text", "json"); err != nil {
		return err
	}
	io.withDiagnostics()
	io.setResult(validateVerdict{Valid: false})
	if o.NArgs > 1 {
		return tooManyArgs("validate")
	}
	pl, ds := o.Task.load(io, "validate", o.Path)
	if ds.HasErrors() {
		return fail(ds)
	}
	n := len(pl.Tasks)
	io.setResult(validateVerdict{Valid: true, Tasks: n})
	fmt.Fprintf(io.Err, "%s is valid (%d task%s).\n", o.Path, n, map[bool]string{true: "", false: "s"}[n == 1])
	return done(ds)
}
