package cli

import (
	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

// The jobs and serve commands still read some flags by name and print
// warnings as they go; these two helpers keep them working until they
// move to options structs and one view like the other commands.

func repeatable(c *cli.Context, name string) []string {
	if m, ok := c.Generic(name).(*multiString); ok && m != nil {
		return m.values
	}
	return nil
}

func writeWarnings(c *cli.Context, io *IO, ds diag.Diagnostics) {
	if len(ds) == 0 {
		return
	}
	if c.String("output") == "json" {
		_ = diag.WriteJSON(io.Err, ds)
		return
	}
	diag.WriteText(io.Err, ds)
}
