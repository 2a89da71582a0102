package pipeline

import (
	"encoding/json"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/skyplan/skyplan/optimizer"
)

// Infra renders "Cloud (zone)" or "Cloud (region)" as SkyPilot's plan does.
func Infra(p optimizer.Placement) string {
	loc := p.Zone
	if loc == "" {
		loc = p.Region
	}
	if loc == "" {
		return cloud.DisplayName(p.Cloud)
	}
	return fmt.Sprintf("%s (%s)", cloud.DisplayName(p.Cloud), loc)
}

// Instance renders the instance type, marking spot like SkyPilot.
func Instance(p optimizer.Placement) string {
	s := p.InstanceType
	if s == "" {
		s = "-"
	}
	if p.UseSpot {
		s += "[Spot]"
	}
	return s
}

// GPUs renders accelerators as NAME:COUNT, "-" when none.
func GPUs(p optimizer.Placement) string {
	if len(p.Accelerators) == 0 {
		return "-"
	}
	var parts []string
	for name, n := range p.Accelerators {
		parts = append(parts, name+":"+strconv.FormatFloat(n, 'f', -1, 64))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func money(v float64) string { return fmt.Sprintf("$%.2f", v) }
func hours(v float64) string { return fmt.Sprintf("%.2fh", v) }

// WriteText renders the best plan, its egress, totals, and the single-cloud
// plans side by side with the savings.
func (r *Result) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	title := "Pipeline"
	if r.Name != "" {
		title += " " + r.Name
	}
	fmt.Fprintf(tw, "%s: best plan, minimizing %s (transfers at %g Gbps)\n", title, r.Objective, r.BandwidthGbps)
	fmt.Fprintln(tw, "TASK\t#NODES\tINFRA\tINSTANCE\tGPUS\tCOST\tTIME")
	for _, t := range r.Best.Tasks {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.NumNodes, Infra(t.Chosen), Instance(t.Chosen), GPUs(t.Chosen), money(t.Cost), hours(t.Hours))
	}
	fmt.Fprintln(tw)
	if len(r.Best.Egress) == 0 {
		fmt.Fprintln(tw, "Egress: none (no data crosses clouds)")
	} else {
		fmt.Fprintln(tw, "Egress:")
		fmt.Fprintln(tw, "FROM\tTO\tGB\tCOST\tHOURS")
		for _, e := range r.Best.Egress {
			fmt.Fprintf(tw, "%s (%s)\t%s (%s)\t%.1f\t%s\t%.3f\n", e.From, cloud.DisplayName(e.FromCloud), e.To, cloud.DisplayName(e.ToCloud), e.GB, money(e.Cost), e.Hours)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "Total: %s, %s\n\n", money(r.Best.TotalCost), hours(r.Best.TotalHours))

	fmt.Fprintln(tw, "Compared with the best single-cloud plans:")
	head := []string{"TASK", "CHOSEN"}
	for _, c := range SingleClouds() {
		head = append(head, strings.ToUpper(cloud.DisplayName(c))+" ONLY")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	row := func(label string, best string, cell func(p *Plan) string) {
		cols := []string{label, best}
		for _, c := range SingleClouds() {
			if sc := r.SingleCloud[c]; sc == nil {
				cols = append(cols, "no plan")
			} else {
				cols = append(cols, cell(sc))
			}
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	placement := func(p optimizer.Placement, withCloud bool) string {
		s := Instance(p)
		if withCloud {
			s = cloud.DisplayName(p.Cloud) + " " + s
		}
		if g := GPUs(p); g != "-" {
			s += " " + g
		}
		return s
	}
	for i, t := range r.Best.Tasks {
		row(t.Name, placement(t.Chosen, true), func(p *Plan) string { return placement(p.Tasks[i].Chosen, false) })
	}
	egress := func(p *Plan) float64 {
		s := 0.0
		for _, e := range p.Egress {
			s += e.Cost
		}
		return s
	}
	row("egress", money(egress(r.Best)), func(p *Plan) string { return money(egress(p)) })
	row("total cost", money(r.Best.TotalCost), func(p *Plan) string { return money(p.TotalCost) })
	row("total time", hours(r.Best.TotalHours), func(p *Plan) string { return hours(p.TotalHours) })
	for _, which := range []string{"cost", "time"} {
		cols := []string{which + " saving", "-"}
		for _, c := range SingleClouds() {
			cp, tp, ok := r.Saving(c)
			switch {
			case !ok:
				cols = append(cols, "-")
			case which == "cost":
				cols = append(cols, fmt.Sprintf("%.1f%%", cp))
			default:
				cols = append(cols, fmt.Sprintf("%.1f%%", tp))
			}
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	return tw.Flush()
}

type jsonTask struct {
	Name       string                `json:"name"`
	NumNodes   int                   `json:"num_nodes"`
	Chosen     optimizer.Placement   `json:"chosen"`
	Cost       float64               `json:"cost"`
	Hours      float64               `json:"hours"`
	Candidates []optimizer.Placement `json:"candidates,omitempty"`
}

type jsonEgress struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	FromCloud string  `json:"from_cloud"`
	ToCloud   string  `json:"to_cloud"`
	GB        float64 `json:"gb"`
	Cost      float64 `json:"cost"`
	Hours     float64 `json:"hours"`
}

type jsonPlan struct {
	Tasks      []jsonTask   `json:"tasks"`
	Egress     []jsonEgress `json:"egress"`
	TotalCost  float64      `json:"total_cost"`
	TotalHours float64      `json:"total_hours"`
	// Savings of the chosen plan over this one, in percent (single-cloud only).
	SavingCostPct *float64 `json:"saving_cost_pct,omitempty"`
	SavingTimePct *float64 `json:"saving_time_pct,omitempty"`
}

type jsonResult struct {
	Name          string  `json:"name,omitempty"`
	Minimize      string  `json:"minimize"`
	BandwidthGbps float64 `json:"bandwidth_gbps"`
	jsonPlan
	SingleCloud map[string]*jsonPlan `json:"single_cloud"`
}

// round keeps JSON free of float noise (…0000001) without losing cents.
func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func (r *Result) jsonPlan(p *Plan, withCandidates bool) *jsonPlan {
	jp := &jsonPlan{TotalCost: round(p.TotalCost), TotalHours: round(p.TotalHours), Tasks: []jsonTask{}, Egress: []jsonEgress{}}
	for i, t := range p.Tasks {
		jt := jsonTask{Name: t.Name, NumNodes: t.NumNodes, Chosen: t.Chosen, Cost: round(t.Cost), Hours: round(t.Hours)}
		if withCandidates {
			jt.Candidates = r.Candidates[i]
		}
		jp.Tasks = append(jp.Tasks, jt)
	}
	for _, e := range p.Egress {
		jp.Egress = append(jp.Egress, jsonEgress{From: e.From, To: e.To, FromCloud: e.FromCloud, ToCloud: e.ToCloud, GB: round(e.GB), Cost: round(e.Cost), Hours: round(e.Hours)})
	}
	return jp
}

// MarshalJSON renders the contract of `skyplan plan -o json` for pipelines;
// a cloud without a feasible single-cloud plan is null.
func (r *Result) MarshalJSON() ([]byte, error) {
	out := jsonResult{Name: r.Name, Minimize: r.Objective.String(), BandwidthGbps: r.BandwidthGbps,
		jsonPlan: *r.jsonPlan(r.Best, true), SingleCloud: map[string]*jsonPlan{}}
	for _, c := range SingleClouds() {
		sc := r.SingleCloud[c]
		if sc == nil {
			out.SingleCloud[c] = nil
			continue
		}
		jp := r.jsonPlan(sc, false)
		cp, tp, _ := r.Saving(c)
		cp, tp = round(cp), round(tp)
		jp.SavingCostPct, jp.SavingTimePct = &cp, &tp
		out.SingleCloud[c] = jp
	}
	return json.Marshal(out)
}
