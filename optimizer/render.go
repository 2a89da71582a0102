package optimizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// ConsideredRows is SkyPilot's "Considered resources" view of a plan: one
// row per (cloud, accelerators, market) group, the cheapest of the group,
// sorted by cost (ordered resource lists: by list position, then cost).
// The chosen placement is always its group's row.
func ConsideredRows(plan *TaskPlan, ordered bool) []Placement {
	type key struct {
		cloud, acc string
		spot       bool
	}
	best := map[key]int{}
	var rows []Placement
	for _, p := range plan.Candidates {
		k := key{p.Cloud, accelsText(p.Accelerators), p.UseSpot}
		i, ok := best[k]
		if !ok {
			best[k] = len(rows)
			rows = append(rows, p)
			continue
		}
		if p.HourlyCost < rows[i].HourlyCost {
			rows[i] = p
		}
	}
	if plan.Chosen != nil {
		k := key{plan.Chosen.Cloud, accelsText(plan.Chosen.Accelerators), plan.Chosen.UseSpot}
		rows[best[k]] = *plan.Chosen
	}
	// SkyPilot sorts by the cost as printed (rounded to cents); rows equal
	// in cents keep their candidate order.
	sort.SliceStable(rows, func(i, j int) bool {
		if ordered && rows[i].RequestIndex != rows[j].RequestIndex {
			return rows[i].RequestIndex < rows[j].RequestIndex
		}
		return cents(rows[i].HourlyCost) < cents(rows[j].HourlyCost)
	})
	return rows
}

func cents(v float64) int64 { return int64(math.Round(v * 100)) }

// WriteTable prints the plan of one task the way `sky launch` does.
func WriteTable(w io.Writer, plan *TaskPlan, ordered bool) {
	if plan.Chosen != nil {
		fmt.Fprintf(w, "Estimated cost: $%.2f / hour\n\n", plan.Chosen.HourlyCost)
	}
	WriteConsidered(w, plan, ordered)
}

// WriteHints prints the plan's notes ("🔍 Multiple AWS instances satisfy
// L4:1 ...") the way SkyPilot logs them. Callers send them to stderr, and
// only for table output: stdout carries results.
func WriteHints(w io.Writer, plan *TaskPlan) {
	for _, h := range plan.Hints {
		fmt.Fprintf(w, "🔍 %s\n", h)
	}
}

// WriteConsidered prints the "Considered resources (N nodes):" table.
func WriteConsidered(w io.Writer, plan *TaskPlan, ordered bool) {
	nodes := "node"
	if plan.NumNodes != 1 {
		nodes = "nodes"
	}
	fmt.Fprintf(w, "Considered resources (%d %s):\n", plan.NumNodes, nodes)
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, " INFRA\tINSTANCE\tvCPUs\tMem(GB)\tGPUS\tCOST ($)\tCHOSEN")
	for _, p := range ConsideredRows(plan, ordered) {
		chosen := ""
		if plan.Chosen != nil && samePlacement(p, *plan.Chosen) {
			chosen = "✔"
		}
		fmt.Fprintf(tw, " %s\t%s\t%s\t%s\t%s\t%.2f\t%s\n", InfraText(p), instanceText(p), numText(p.VCPUs), numText(p.MemoryGiB),
			gpusText(p.Accelerators), p.HourlyCost, chosen)
	}
	tw.Flush()
	// SkyPilot frames the table with dashed rules (prettytable, FRAME
	// horizontal rules, no vertical ones): above and below the header and
	// at the end, as wide as a padded row. Rows without the ✔ would end in
	// padding; keep lines clean.
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	width := 0
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
		width = max(width, utf8.RuneCountInString(lines[i]))
	}
	rule := strings.Repeat("-", width+3)
	fmt.Fprintln(w, rule)
	for i, line := range lines {
		fmt.Fprintln(w, line)
		if i == 0 {
			fmt.Fprintln(w, rule)
		}
	}
	fmt.Fprintln(w, rule)
}

func samePlacement(a, b Placement) bool {
	return a.Cloud == b.Cloud && a.Region == b.Region && a.Zone == b.Zone && a.InstanceType == b.InstanceType && a.UseSpot == b.UseSpot
}

// InfraText renders "AWS (us-east-1)" or "GCP (us-central1-a)".
func InfraText(p Placement) string {
	loc := p.Region
	if p.Zone != "" {
		loc = p.Zone
	}
	return fmt.Sprintf("%s (%s)", cloud.DisplayName(p.Cloud), loc)
}

func instanceText(p Placement) string {
	if p.UseSpot {
		return p.InstanceType + "[Spot]"
	}
	return p.InstanceType
}

func numText(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", v)
}

func gpusText(a map[string]float64) string {
	if len(a) == 0 {
		return "-"
	}
	return accelsText(a)
}

func accelsText(a map[string]float64) string {
	var parts []string
	for n, c := range a {
		parts = append(parts, n+":"+countText(c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// PlanJSON is the `-o json` document of plan commands.
type PlanJSON struct {
	Tasks      []*TaskPlan `json:"tasks"`
	HourlyCost float64     `json:"hourly_cost"`
}

// WriteJSON prints {"tasks":[...],"hourly_cost":X}.
func WriteJSON(w io.Writer, plans ...*TaskPlan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(PlanDocument(plans...))
}

// PlanDocument is the plan JSON contract's document of plans (what
// WriteJSON prints).
func PlanDocument(plans ...*TaskPlan) PlanJSON {
	doc := PlanJSON{Tasks: plans}
	for _, p := range plans {
		if p.Candidates == nil {
			p.Candidates = []Placement{}
		}
		if p.Chosen != nil {
			doc.HourlyCost += p.Chosen.HourlyCost
		}
	}
	doc.HourlyCost = round6(doc.HourlyCost)
	return doc
}
