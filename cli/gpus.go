package cli

import (
	"fmt"
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
			Name:        "gpus",
			Usage:       "list offered accelerators and their prices",
			Subcommands: []*cli.Command{gpusListCommand(io, "list", false)},
		}
	})
	// SkyPilot users type `sky show-gpus`; the same listing under its name.
	register(func(io *IO) *cli.Command { return gpusListCommand(io, "show-gpus", true) })
}

// gpusListCommand is `skyplan gpus list`, also registered as SkyPilot's
// top-level `show-gpus`.
func gpusListCommand(io *IO, name string, hidden bool) *cli.Command {
	o := &GPUsOptions{IO: io}
	return &cli.Command{
		Name:      name,
		Hidden:    hidden,
		Usage:     "list accelerators with counts and the cheapest on-demand and spot price per cloud",
		ArgsUsage: "[NAME[:COUNT]]",
		Description: "Without NAME: one row per accelerator, count and cloud. With NAME: one row per cloud,\n" +
			"instance type and count (GCP prices include the host VM). --all-regions: one row per region.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "infra", Destination: &o.Infra, Usage: "only `CLOUD[/REGION]` (aws, gcp, azure)"},
			&cli.BoolFlag{Name: "all-regions", Destination: &o.AllRegions, Usage: "show the price in every region"},
			outputFlag(&o.Output, "table", "table or json"),
		},
		Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return gpusList(o) },
	}
}

// GPUsOptions are `skyplan gpus list`'s flags and argument.
type GPUsOptions struct {
	IO         *IO
	Args       []string
	Infra      string
	AllRegions bool
	Output     string
}

func gpusList(o *GPUsOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	var f optimizer.ListFilter
	f.AllRegions = o.AllRegions
	if len(o.Args) > 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
			Detail: "Give at most one accelerator, e.g. `skyplan gpus list A100:8`."}})
	}
	if len(o.Args) == 1 {
		name, count, err := task.ParseAcceleratorString(o.Args[0])
		if err != nil {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid accelerator",
				Detail: err.Error(), Field: "NAME[:COUNT]"}})
		}
		f.Name = name
		if strings.Contains(o.Args[0], ":") {
			f.Count = count
		}
	}
	if s := o.Infra; s != "" {
		in, err := task.ParseInfra(s)
		if err != nil || (in.Cloud != "" && !contains(catalog.Clouds(), in.Cloud)) {
			detail := fmt.Sprintf("Got %q; use --infra aws, gcp/us-central1 or azure/eastus.", s)
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid --infra", Detail: detail, Field: "--infra"}})
		}
		f.Cloud, f.Region = in.Cloud, in.Region
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
		detail := fmt.Sprintf("No cloud offers %s", o.Args[0])
		if f.Cloud != "" {
			detail += " on " + o.Infra
		}
		if near := similarAccelerators(cat.AcceleratorNames(), f.Name); len(near) > 0 {
			detail += ". Did you mean: " + strings.Join(near, ", ") + "?"
		} else {
			detail += ". Run `skyplan gpus list` to see every offered accelerator."
		}
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Accelerator not found", Detail: detail}})
	}
	if io.jsonView() {
		if offers == nil {
			offers = []optimizer.AcceleratorOffer{}
		}
		io.setResult(map[string]any{"accelerators": offers})
		return nil
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	if f.Name == "" && !f.AllRegions {
		writeGPUSummary(tw, offers)
	} else {
		fmt.Fprintln(tw, "GPU\tQTY\tCLOUD\tINSTANCE_TYPE\tDEVICE_MEM\tvCPUs\tHOST_MEM\tHOURLY_PRICE\tHOURLY_SPOT_PRICE\tREGION")
		for _, of := range offers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", of.Accelerator, fmtNum(of.Count), catalog.DisplayName(of.Cloud), of.InstanceType,
				gbText(of.DeviceMemoryGiB), dash(of.VCPUs), gbText(of.MemoryGiB), money(of.Price), money(of.SpotPrice), of.Region)
		}
	}
	return tw.Flush()
}

// writeGPUSummary prints the default listing in SkyPilot's groups: common
// GPUs, TPUs collapsed to one row per generation, then the others. Prices
// belong to an instance type and region, so they are in the NAME listing.
func writeGPUSummary(tw *tabwriter.Writer, offers []optimizer.AcceleratorOffer) {
	sum := optimizer.SummarizeAccelerators(offers)
	section := func(head, countsHead string, rows []optimizer.AcceleratorCounts, withCloud bool) {
		if len(rows) == 0 {
			return
		}
		if withCloud {
			fmt.Fprintf(tw, "%s\tCLOUD\t%s\n", head, countsHead)
		} else {
			fmt.Fprintf(tw, "%s\t%s\n", head, countsHead)
		}
		for _, r := range rows {
			if withCloud {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, catalog.DisplayName(r.Cloud), strings.Join(r.Counts, ", "))
			} else {
				fmt.Fprintf(tw, "%s\t%s\n", r.Name, shortList(r.Counts, 8))
			}
		}
		fmt.Fprintln(tw)
	}
	section("COMMON_GPU", "AVAILABLE_QUANTITIES", sum.Common, true)
	section("GOOGLE_TPU", "AVAILABLE_SLICES", sum.TPUs, false)
	section("OTHER_GPU", "AVAILABLE_QUANTITIES", sum.Other, true)
	fmt.Fprintln(tw, "Prices per instance type and region: skyplan gpus list NAME[:COUNT] (e.g. A100:8, tpu-v5litepod-8).")
}

// shortList joins up to max items; a longer list keeps its start and end
// ("8, 16, 32, 64, 128, 256, …, 6144 (52 sizes)").
func shortList(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s, …, %s (%d sizes)", strings.Join(items[:max-2], ", "), items[len(items)-1], len(items))
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
