package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:  "catalog",
			Usage: "manage the price catalogs",
			Subcommands: []*cli.Command{{
				Name:  "update",
				Usage: "replace the price catalogs with newer SkyPilot v8 CSVs",
				Description: "Reads <cloud>/vms.csv (and aws/images.csv, aws/az_mappings.csv) from a directory or an\n" +
					"http(s) base URL (e.g. https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master/catalogs/v8),\n" +
					"checks their columns, and replaces the copies under $SKYPLAN_HOME/catalogs, which skyplan\n" +
					"prefers over the snapshot built into the binary. Nothing is replaced if any file is invalid.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "from", Required: true, Usage: "`DIR|URL` holding <cloud>/<file>.csv"},
				},
				Action: func(c *cli.Context) error {
					dest := skyhome.Path("catalogs")
					updated, err := catalog.Update(io.Interrupted, c.String("from"), dest)
					if err != nil {
						return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Catalog update failed",
							Detail: err.Error() + ". The current catalogs were left unchanged.", Field: "--from"}})
					}
					for _, u := range updated {
						fmt.Fprintf(io.Out, "updated %-20s %7d rows  (from %s)\n", u.File, u.Rows, u.From)
					}
					fmt.Fprintf(io.Err, "Catalogs in %s now take precedence over the built-in snapshot.\n", dest)
					return nil
				},
			}},
		}
	})
}
