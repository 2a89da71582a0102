package cli

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		o := &CatalogOptions{IO: io}
		return &cli.Command{
			Name:  "catalog",
			Usage: "manage the price catalogs",
			Subcommands: []*cli.Command{{
				Name:  "update",
				Usage: "replace the price catalogs with SkyPilot's current v8 CSVs",
				Description: "Without --from, downloads SkyPilot's published catalogs (" + catalog.SkyPilotCatalogURL + ",\n" +
					"or $SKYPLAN_CATALOG_URL) for AWS, GCP and Azure. --from reads <cloud>/vms.csv (and aws/images.csv,\n" +
					"aws/az_mappings.csv) from a directory or another http(s) base URL. The files are checked and\n" +
					"replace the copies under $SKYPLAN_HOME/catalogs, which skyplan prefers over the snapshot built\n" +
					"into the binary. Nothing is replaced if any file is invalid.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "from", Destination: &o.From, Usage: "`DIR|URL` holding <cloud>/<file>.csv (default: SkyPilot's published catalogs)"},
				},
				Action: func(*cli.Context) error { return catalogUpdate(o) },
			}, {
				Name:  "status",
				Usage: "show where each cloud's catalog comes from, its date and row counts",
				Flags: []cli.Flag{
					outputFlag(&o.Output, "table", "table or json"),
				},
				Action: func(*cli.Context) error { return catalogStatus(o) },
			}},
		}
	})
}

// CatalogOptions are `skyplan catalog update|status`'s flags.
type CatalogOptions struct {
	IO     *IO
	From   string
	Output string
}

func catalogUpdate(o *CatalogOptions) error {
	io := o.IO
	io.useView("text")
	from, field := o.From, "--from"
	if from == "" {
		from, field = catalog.SkyPilotCatalogURL, ""
		if u := io.Environ("SKYPLAN_CATALOG_URL"); u != "" {
			from = u
		}
		fmt.Fprintf(io.Err, "Downloading SkyPilot's catalogs from %s …\n", from)
	}
	dest := skyhome.Path("catalogs")
	updated, err := catalog.Update(io.Interrupted, from, dest)
	if err != nil {
		detail := err.Error() + ". The current catalogs were left unchanged."
		var off *catalog.OfflineError
		if errors.As(err, &off) {
			detail += " To update without this connection, copy SkyPilot's catalogs/v8 folder (<cloud>/vms.csv) to this machine and run `skyplan catalog update --from DIR`."
		}
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Catalog update failed", Detail: detail, Field: field}})
	}
	for _, u := range updated {
		fmt.Fprintf(io.Out, "updated %-20s %7d rows  (from %s)\n", u.File, u.Rows, u.From)
	}
	fmt.Fprintf(io.Err, "Catalogs in %s now take precedence over the built-in snapshot.\n", dest)
	return nil
}

func catalogStatus(o *CatalogOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	cat, err := catalog.Load()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	st, err := cat.Status()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if io.jsonView() {
		io.setResult(map[string]any{"catalogs": st})
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLOUD\tSOURCE\tDATE\tOFFERS\tACCELERATOR_ROWS")
	for _, s := range st {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", catalog.DisplayName(s.Cloud), s.Source, s.Date, s.Offers, s.Accelerators)
	}
	return tw.Flush()
}
