package cli

import (
	"encoding/json"
	"fmt"

	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		flags := append(taskFlags(), &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "diagnostics format: text or json"})
		return &cli.Command{
			Name:      "validate",
			Usage:     "check a task YAML (and overrides) without planning",
			ArgsUsage: "TASK.yaml",
			Flags:     flags,
			Action: func(c *cli.Context) error {
				out := c.String("output")
				if out != "text" && out != "json" {
					return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid output format",
						Detail: fmt.Sprintf("-o must be text or json, got %q.", out), Field: "--output"}})
				}
				if c.NArg() > 1 {
					return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
						Detail: "validate takes one task file; put flags before or after it."}})
				}
				pl, ds := loadTaskFromFlags(c, io, c.Args().First())
				if ds.HasErrors() {
					return Exit(ExitFailure, ds)
				}
				n := len(pl.Tasks)
				if out == "json" {
					// The verdict is the result: stdout. Errors go through Main
					// to stderr as {"diagnostics": [...]}.
					if ds == nil {
						ds = diag.Diagnostics{}
					}
					enc := json.NewEncoder(io.Out)
					enc.SetIndent("", "  ")
					if err := enc.Encode(map[string]any{"valid": true, "tasks": n, "diagnostics": ds}); err != nil {
						return err
					}
				} else {
					diag.WriteText(io.Err, ds)
				}
				fmt.Fprintf(io.Err, "%s is valid (%d task%s).\n", c.Args().First(), n, map[bool]string{true: "", false: "s"}[n == 1])
				return nil
			},
		}
	})
}
