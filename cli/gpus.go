package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:  "gpus",
			Usage: "list offered accelerators and their prices",
			Subcommands: []*cli.Command{{
				Name:      "list",
				Usage:     "list accelerators with counts and the cheapest on-demand and spot price per cloud",
				ArgsUsage: "[NAME[:COUNT]]",
				Description: "Without NAME: one row per accelerator, count and cloud. With NAME: one row per cloud,\n" +
					"instance type and count (GCP prices include the host VM). --all-regions: one row per region.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "infra", Usage: "only `CLOUD[/REGION]` (aws, gcp, azure)"},
					&cli.BoolFlag{Name: "all-regions", Usage: "show the price in every region"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT`: table or json"},
				},
				Action: func(c *cli.Context) error { return gpusList(c, io) },
			}},
		}
	})
}

func gpusList(c *cli.Context, io *IO) error {
	var f optimizer.ListFilter
	f.AllRegions = c.Bool("all-regions")
	if c.NArg() > 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
			Detail: "Give at most one accelerator, e.g. `skyplan gpus list A100:8`."}})
	}
	if c.NArg() == 1 {
		name, count, err := task.ParseAcceleratorString(c.Args().First())
		if err != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid accelerator",
				Detail: err.Error(), Field: "NAME[:COUNT]"}})
		}
		f.Name = name
		if strings.Contains(c.Args().First(), ":") {
			f.Count = count
		}
	}
	if s := c.String("infra"); s != "" {
		in, err := task.ParseInfra(s)
		if err != nil || (in.Cloud != "" && !contains(catalog.Clouds, in.Cloud)) {
			detail := fmt.Sprintf("Got %q; use --infra aws, gcp/us-central1 or azure/eastus.", s)
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid --infra", Detail: detail, Field: "--infra"}})
		}
		f.Cloud, f.Region = in.Cloud, in.Region
	}
	out := c.String("output")
	if out != "table" && out != "json" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid --output",
			Detail: fmt.Sprintf("Got %q; use -o table or -o json.", out), Field: "--output"}})
	}
	cat, err := catalog.Load()
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	offers, err := optimizer.ListAccelerators(cat, f)
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	if len(offers) == 0 && f.Name != "" {
		detail := fmt.Sprintf("No cloud offers %s", c.Args().First())
		if f.Cloud != "" {
			detail += " on " + c.String("infra")
		}
		if near := similarAccelerators(cat.AcceleratorNames(), f.Name); len(near) > 0 {
			detail += ". Did you mean: " + strings.Join(near, ", ") + "?"
		} else {
			detail += ". Run `skyplan gpus list` to see every offered accelerator."
		}
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Accelerator not found", Detail: detail}})
	}
	if out == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if offers == nil {
			offers = []optimizer.AcceleratorOffer{}
		}
		return enc.Encode(map[string]any{"accelerators": offers})
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	if f.Name == "" && !f.AllRegions {
		writeGPUSummary(tw, offers)
	} else {
		fmt.Fprintln(tw, "GPU\tQTY\tCLOUD\tINSTANCE_TYPE\tDEVICE_MEM\tvCPUs\tHOST_MEM\tHOURLY_PRICE\tHOURLY_SPOT_PRICE\tREGION")
		for _, o := range offers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Accelerator, fmtNum(o.Count), catalog.DisplayName(o.Cloud), o.InstanceType,
				gbText(o.DeviceMemoryGiB), dash(o.VCPUs), gbText(o.MemoryGiB), money(o.Price), money(o.SpotPrice), o.Region)
		}
	}
	return tw.Flush()
}

// writeGPUSummary prints one row per accelerator and cloud: the counts
// offered and the cheapest on-demand and spot price of any count.
func writeGPUSummary(tw *tabwriter.Writer, offers []optimizer.AcceleratorOffer) {
	type key struct{ acc, cloud string }
	type row struct {
		counts      []string
		price, spot *float64
	}
	rows := map[key]*row{}
	var order []key
	for _, o := range offers {
		k := key{o.Accelerator, o.Cloud}
		r := rows[k]
		if r == nil {
			r = &row{}
			rows[k] = r
			order = append(order, k)
		}
		if n := fmtNum(o.Count); !contains(r.counts, n) {
			r.counts = append(r.counts, n)
		}
		if o.Price != nil && (r.price == nil || *o.Price < *r.price) {
			r.price = o.Price
		}
		if o.SpotPrice != nil && (r.spot == nil || *o.SpotPrice < *r.spot) {
			r.spot = o.SpotPrice
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if !strings.EqualFold(order[i].acc, order[j].acc) {
			return strings.ToLower(order[i].acc) < strings.ToLower(order[j].acc)
		}
		return order[i].cloud < order[j].cloud
	})
	fmt.Fprintln(tw, "GPU\tCLOUD\tAVAILABLE_QUANTITIES\tCHEAPEST_PRICE\tCHEAPEST_SPOT_PRICE")
	for _, k := range order {
		r := rows[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.acc, catalog.DisplayName(k.cloud), strings.Join(r.counts, ", "), money(r.price), money(r.spot))
	}
}

func similarAccelerators(names []string, want string) []string {
	var out []string
	lw := strings.ToLower(want)
	for _, n := range names {
		ln := strings.ToLower(n)
		if strings.Contains(ln, lw) || strings.Contains(lw, ln) {
			out = append(out, n)
		}
	}
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func dash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmtNum(v)
}

func gbText(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "GB"
}

func money(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("$ %.3f", *p)
}
