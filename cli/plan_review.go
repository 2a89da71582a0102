package cli

import (
	"encoding/json"
	"fmt"
	"github.com/skyplan/skyplan/catalog"
	"io"
	"math"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// The review of a saved Terraform plan: what `skyplan plan -o markdown`
// posts on a pull request and `-o json` gives to scripts. Both renderings
// come from one planReview value, so they cannot disagree.

// reviewInput is everything a review is built from. The CLI fills it from
// the optimizer, the saved plan's JSON and the local state; tests build it
// by hand.
type reviewInput struct {
	Cluster string
	Plan    *optimizer.TaskPlan // the optimizer's answer (considered rows)
	Ordered bool                // the task's resources are an ordered list
	// Chosen is the exact placement the saved plan creates (zone picked).
	Chosen   optimizer.Placement
	TF       *tfjson.Plan   // terraform show -json of the saved plan
	Existing *state.Cluster // the cluster in the local state; nil = none
	PlanFile string         // as the user named it
	// Fallbacks when the plan carries no root variables: the task's ports,
	// the configured SSH and task-port source ranges and private-IP setting.
	Ports        []task.PortRange
	SSHCIDRs     []string
	PortsCIDRs   []string
	UsePrivateIP bool
}

// planReview is the `-o json` document of `skyplan plan` (without --dryrun).
type planReview struct {
	Cluster    string         `json:"cluster"`
	Chosen     reviewRow      `json:"chosen"`
	NumNodes   int            `json:"num_nodes"`
	Why        string         `json:"why"`
	Considered []reviewRow    `json:"considered"`
	Changes    []reviewChange `json:"changes"`
	Summary    reviewSummary  `json:"summary"`
	HourlyCost float64        `json:"hourly_cost"`
	Running    reviewRunning  `json:"running"`
	Delta      *float64       `json:"hourly_cost_delta"` // null when the running cost is unknown
	Security   []securityNote `json:"security"`
	PlanFile   string         `json:"plan_file"`
	ApplyCmd   string         `json:"apply_command"`
	placement  optimizer.Placement
}

// reviewRow is one row of the considered-resources table.
type reviewRow struct {
	Infra        string             `json:"infra"`
	Cloud        string             `json:"cloud"`
	Region       string             `json:"region"`
	Zone         string             `json:"zone,omitempty"`
	InstanceType string             `json:"instance_type"`
	UseSpot      bool               `json:"use_spot"`
	VCPUs        float64            `json:"vcpus"`
	MemoryGiB    float64            `json:"memory_gib"`
	Accelerators map[string]float64 `json:"accelerators"`
	HourlyCost   float64            `json:"hourly_cost"`
	Chosen       bool               `json:"chosen"`
}

// reviewChange is one resource instance Terraform will change; Actions are
// Terraform's own (["create"], ["delete","create"], ...).
type reviewChange struct {
	Address string   `json:"address"`
	Actions []string `json:"actions"`
}

// reviewSummary counts as Terraform does: a replacement is one add and one
// destroy.
type reviewSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// reviewRunning is what runs now under the cluster's name.
type reviewRunning struct {
	// Status is none (a new cluster), UP, INIT, STOPPED, or remote (the
	// Terraform state has resources this machine's skyplan never launched).
	Status     string   `json:"status"`
	HourlyCost *float64 `json:"hourly_cost"` // null when unknown
	Note       string   `json:"note"`
}

// securityNote is one thing a reviewer should know about exposure.
type securityNote struct {
	Kind  string   `json:"kind"` // ssh, port, public_ip, private_ip, spot
	Ports string   `json:"ports,omitempty"`
	CIDRs []string `json:"cidrs,omitempty"`
	// Open is true when something is reachable from the whole Internet.
	Open bool   `json:"open"`
	Note string `json:"note"`
}

func buildReview(in reviewInput) planReview {
	p := in.Chosen
	nodes := p.NumNodes
	if nodes == 0 && in.Plan != nil {
		nodes = in.Plan.NumNodes
	}
	r := planReview{Cluster: in.Cluster, NumNodes: nodes, HourlyCost: round6(p.HourlyCost), PlanFile: in.PlanFile,
		ApplyCmd: "skyplan apply " + in.PlanFile, placement: p, Changes: []reviewChange{}, Considered: []reviewRow{}}
	r.Chosen = rowOf(p, true)
	if in.Plan != nil {
		for _, c := range optimizer.ConsideredRows(in.Plan, in.Ordered) {
			chosen := in.Plan.Chosen != nil && c.Cloud == in.Plan.Chosen.Cloud && c.Region == in.Plan.Chosen.Region &&
				c.Zone == in.Plan.Chosen.Zone && c.InstanceType == in.Plan.Chosen.InstanceType && c.UseSpot == in.Plan.Chosen.UseSpot
			r.Considered = append(r.Considered, rowOf(c, chosen))
		}
		r.Why = whyChosen(in.Plan, in.Ordered)
	}
	r.Changes, r.Summary = planChanges(in.TF)
	r.Running = runningNow(in.Existing, in.TF)
	if r.Running.HourlyCost != nil {
		d := round6(p.HourlyCost - *r.Running.HourlyCost)
		r.Delta = &d
	}
	r.Security = securityNotes(in, nodes)
	return r
}

func rowOf(p optimizer.Placement, chosen bool) reviewRow {
	acc := p.Accelerators
	if acc == nil {
		acc = map[string]float64{}
	}
	return reviewRow{Infra: optimizer.InfraText(p), Cloud: p.Cloud, Region: p.Region, Zone: p.Zone, InstanceType: p.InstanceType,
		UseSpot: p.UseSpot, VCPUs: p.VCPUs, MemoryGiB: p.MemoryGiB, Accelerators: acc, HourlyCost: round6(p.HourlyCost), Chosen: chosen}
}

// whyChosen explains the choice the way a reviewer asks: cheapest of what,
// and how much the runner-up would cost.
func whyChosen(plan *optimizer.TaskPlan, ordered bool) string {
	if plan.Chosen == nil {
		return ""
	}
	clouds := map[string]bool{}
	for _, c := range plan.Candidates {
		clouds[c.Cloud] = true
	}
	n := len(plan.Candidates)
	why := fmt.Sprintf("Cheapest of %d feasible placement(s) on %d cloud(s)", n, len(clouds))
	if ordered {
		why = fmt.Sprintf("First feasible entry of the task's ordered resources (%d feasible placement(s) on %d cloud(s))", n, len(clouds))
	}
	c := *plan.Chosen
	for _, o := range plan.Candidates {
		if o.Cloud == c.Cloud && o.Region == c.Region && o.Zone == c.Zone && o.InstanceType == c.InstanceType && o.UseSpot == c.UseSpot {
			continue
		}
		return fmt.Sprintf("%s; next: %s %s at $%.4f/hour (%s).", why, optimizer.InfraText(o), instanceLabel(o), o.HourlyCost, signed(o.HourlyCost-c.HourlyCost))
	}
	return why + "; no other placement fits."
}

// planChanges lists the managed resource instances the plan touches.
func planChanges(p *tfjson.Plan) ([]reviewChange, reviewSummary) {
	out := []reviewChange{}
	var s reviewSummary
	if p == nil {
		return out, s
	}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode == tfjson.DataResourceMode {
			continue
		}
		a := rc.Change.Actions
		switch {
		case a.NoOp() || a.Read():
			continue
		case a.Replace():
			s.Add++
			s.Destroy++
		case a.Create():
			s.Add++
		case a.Update():
			s.Change++
		case a.Delete():
			s.Destroy++
		}
		acts := make([]string, len(a))
		for i, x := range a {
			acts[i] = string(x)
		}
		out = append(out, reviewChange{Address: rc.Address, Actions: acts})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out, s
}

// runningNow reads the cluster's current cost from the local state. A CI
// runner with remote state may not know a cluster a person launched; the
// plan's prior state still shows it exists, so say that instead of
// calling it new.
func runningNow(sc *state.Cluster, p *tfjson.Plan) reviewRunning {
	zero := 0.0
	if sc == nil {
		if n := priorResources(p); n > 0 {
			return reviewRunning{Status: "remote", Note: fmt.Sprintf("exists in the Terraform state (%d resources) but was not launched from this machine, so its running cost is unknown", n)}
		}
		return reviewRunning{Status: "none", HourlyCost: &zero, Note: "new cluster"}
	}
	switch sc.Status {
	case state.StatusStopped:
		return reviewRunning{Status: string(sc.Status), HourlyCost: &zero, Note: "cluster is STOPPED (no instance cost now)"}
	default:
		c := round6(sc.HourlyCost)
		return reviewRunning{Status: string(sc.Status), HourlyCost: &c,
			Note: fmt.Sprintf("cluster is %s: %s, %s", sc.Status, cluster.InfraLabel(sc.Cloud, sc.Region, sc.Zone),
				cluster.ResourcesLabel(sc.NumNodes, sc.InstanceType, sc.Accelerators, sc.UseSpot))}
	}
}

func priorResources(p *tfjson.Plan) int {
	if p == nil || p.PriorState == nil {
		return 0
	}
	return cluster.StateResources(p.PriorState)
}

// securityNotes reads exposure from the plan's root variables (what
// Terraform will actually apply), falling back to the task and config.
func securityNotes(in reviewInput, nodes int) []securityNote {
	cidrs, ports, private := planStrings(in.TF, "ssh_cidrs", in.SSHCIDRs), in.Ports, in.UsePrivateIP
	if v, ok := planVar(in.TF, "ports").([]any); ok {
		ports = nil
		for _, x := range v {
			m, _ := x.(map[string]any)
			from, _ := m["from"].(float64)
			to, _ := m["to"].(float64)
			ports = append(ports, task.PortRange{From: int(from), To: int(to)})
		}
	}
	// The compiler opens task ports to 0.0.0.0/0 when ports_cidrs is unset
	// (with a warning); the review says the same.
	portsCIDRs := planStrings(in.TF, "ports_cidrs", in.PortsCIDRs)
	if len(portsCIDRs) == 0 {
		portsCIDRs = []string{"0.0.0.0/0"}
	}
	if v, ok := planVar(in.TF, "use_private_ip").(bool); ok {
		private = v
	}
	notes := []securityNote{}
	if len(cidrs) > 0 {
		open := anyWorld(cidrs)
		note := "SSH (22/tcp) from " + strings.Join(cidrs, ", ") + " (ssh_cidrs)"
		if open {
			note += ": open to the whole Internet"
		}
		notes = append(notes, securityNote{Kind: "ssh", Ports: "22", CIDRs: cidrs, Open: open, Note: note})
	}
	portsOpen := anyWorld(portsCIDRs)
	for _, pr := range ports {
		pt := portText(pr)
		note := fmt.Sprintf("Task port %s/tcp from %s (ports_cidrs), from resources.ports", pt, strings.Join(portsCIDRs, ", "))
		if portsOpen {
			note = fmt.Sprintf("Task port %s/tcp open to the whole Internet (%s), from resources.ports; restrict with ports_cidrs (config) or --ports-cidr", pt, strings.Join(portsCIDRs, ", "))
		}
		notes = append(notes, securityNote{Kind: "port", Ports: pt, CIDRs: portsCIDRs, Open: portsOpen, Note: note})
	}
	if private {
		notes = append(notes, securityNote{Kind: "private_ip", Note: "Nodes get no public IP address; SSH goes through the configured ssh_proxy_command"})
	} else {
		notes = append(notes, securityNote{Kind: "public_ip", Open: (len(ports) > 0 && portsOpen) || anyWorld(cidrs),
			Note: fmt.Sprintf("Each of the %d node(s) gets a public IPv4 address", nodes)})
	}
	if in.Chosen.UseSpot {
		notes = append(notes, securityNote{Kind: "spot",
			Note: fmt.Sprintf("Spot instances: %s can reclaim them at any time (%s notice); work not saved to a bucket is lost", catalog.DisplayName(in.Chosen.Cloud), spotNotice(in.Chosen.Cloud))})
	}
	return notes
}

// planStrings is the plan's list-of-strings root variable name, or
// fallback when the plan does not carry it.
func planStrings(p *tfjson.Plan, name string, fallback []string) []string {
	v, ok := planVar(p, name).([]any)
	if !ok {
		return fallback
	}
	out := []string{}
	for _, c := range v {
		if s, ok := c.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func planVar(p *tfjson.Plan, name string) any {
	if p == nil || p.Variables == nil || p.Variables[name] == nil {
		return nil
	}
	return p.Variables[name].Value
}

func anyWorld(cidrs []string) bool {
	for _, c := range cidrs {
		if c == "0.0.0.0/0" || c == "::/0" {
			return true
		}
	}
	return false
}

func portText(p task.PortRange) string {
	if p.To == 0 || p.To == p.From {
		return fmt.Sprint(p.From)
	}
	return fmt.Sprintf("%d-%d", p.From, p.To)
}

func spotNotice(c string) string { return cloud.SpotNoticeOf(c) }

func instanceLabel(p optimizer.Placement) string {
	if p.UseSpot {
		return p.InstanceType + "[Spot]"
	}
	return p.InstanceType
}

func signed(v float64) string {
	if v < 0 {
		return fmt.Sprintf("-$%.4f/hour", -v)
	}
	return fmt.Sprintf("+$%.4f/hour", v)
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// writeReviewJSON prints the review document.
func writeReviewJSON(w io.Writer, r planReview) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// actionLabel names a change the way Terraform's plan output does.
func actionLabel(acts []string) string {
	a := make(tfjson.Actions, len(acts))
	for i, x := range acts {
		a[i] = tfjson.Action(x)
	}
	switch {
	case a.Replace():
		return "replace"
	case a.Create():
		return "create"
	case a.Update():
		return "update"
	case a.Delete():
		return "destroy"
	}
	return strings.Join(acts, ",")
}

// groupedChanges collapses counted instances (node[0], node[1], ...) into
// one line per resource and action, so a 16-node cluster stays readable.
func groupedChanges(cs []reviewChange) [][3]string {
	type key struct{ action, addr string }
	counts := map[key]int{}
	var order []key
	for _, c := range cs {
		k := key{actionLabel(c.Actions), stripIndex(c.Address)}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	rank := map[string]int{"create": 0, "update": 1, "replace": 2, "destroy": 3}
	sort.SliceStable(order, func(i, j int) bool { return rank[order[i].action] < rank[order[j].action] })
	out := make([][3]string, 0, len(order))
	for _, k := range order {
		out = append(out, [3]string{k.action, k.addr, fmt.Sprint(counts[k])})
	}
	return out
}

// stripIndex drops a trailing [N] or ["key"] instance key.
func stripIndex(addr string) string {
	if strings.HasSuffix(addr, "]") {
		if i := strings.LastIndex(addr, "["); i > 0 {
			return addr[:i]
		}
	}
	return addr
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func mdNum(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", v)
}

func mdGPUs(a map[string]float64) string {
	if len(a) == 0 {
		return "-"
	}
	var parts []string
	for n, c := range a {
		parts = append(parts, fmt.Sprintf("%s:%g", n, c))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// writeReviewMarkdown prints the review as a pull-request comment.
func writeReviewMarkdown(w io.Writer, r planReview) {
	p := r.placement
	fmt.Fprintf(w, "### skyplan plan: cluster `%s`\n\n", r.Cluster)
	fmt.Fprintf(w, "**%s**, %s: **$%.4f/hour**", cluster.InfraLabel(p.Cloud, p.Region, p.Zone),
		cluster.ResourcesLabel(r.NumNodes, p.InstanceType, p.Accelerators, p.UseSpot), r.HourlyCost)
	if r.Delta != nil {
		fmt.Fprintf(w, " (%s vs. now)", signed(*r.Delta))
	}
	fmt.Fprintf(w, ". Terraform: %d to add, %d to change, %d to destroy.\n\n", r.Summary.Add, r.Summary.Change, r.Summary.Destroy)

	fmt.Fprintf(w, "#### Placement\n\n")
	if r.Why != "" {
		fmt.Fprintf(w, "%s\n\n", r.Why)
	}
	fmt.Fprintf(w, "| | INFRA | INSTANCE | vCPUs | Mem(GB) | GPUS | COST ($/h) |\n|---|---|---|---|---|---|---:|\n")
	for _, c := range r.Considered {
		mark := ""
		if c.Chosen {
			mark = "✔"
		}
		it := c.InstanceType
		if c.UseSpot {
			it += "[Spot]"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %.2f |\n", mark, mdCell(c.Infra), mdCell(it), mdNum(c.VCPUs), mdNum(c.MemoryGiB), mdGPUs(c.Accelerators), c.HourlyCost)
	}

	fmt.Fprintf(w, "\n#### Changes: %d to add, %d to change, %d to destroy\n\n", r.Summary.Add, r.Summary.Change, r.Summary.Destroy)
	if len(r.Changes) == 0 {
		fmt.Fprintf(w, "No changes: the infrastructure matches the plan.\n")
	} else {
		fmt.Fprintf(w, "| Action | Resource | Count |\n|---|---|---:|\n")
		for _, g := range groupedChanges(r.Changes) {
			fmt.Fprintf(w, "| %s | `%s` | %s |\n", g[0], mdCell(g[1]), g[2])
		}
	}

	fmt.Fprintf(w, "\n#### Cost\n\n| | $/hour |\n|---|---:|\n")
	fmt.Fprintf(w, "| This plan (%d node(s)) | %.4f |\n", r.NumNodes, r.HourlyCost)
	if r.Running.HourlyCost != nil {
		fmt.Fprintf(w, "| Running now (%s) | %.4f |\n", mdCell(r.Running.Note), *r.Running.HourlyCost)
	} else {
		fmt.Fprintf(w, "| Running now (%s) | unknown |\n", mdCell(r.Running.Note))
	}
	if r.Delta != nil {
		fmt.Fprintf(w, "| **Delta** | **%s** |\n", strings.TrimSuffix(signed(*r.Delta), "/hour"))
	} else {
		fmt.Fprintf(w, "| **Delta** | unknown |\n")
	}

	fmt.Fprintf(w, "\n#### Security\n\n")
	for _, n := range r.Security {
		mark := ""
		if n.Open {
			mark = "⚠️ "
		}
		fmt.Fprintf(w, "- %s%s\n", mark, n.Note)
	}

	fmt.Fprintf(w, "\n#### Apply\n\nSaved plan: `%s`. After merge, apply exactly this plan with:\n\n```sh\n%s\n```\n", r.PlanFile, r.ApplyCmd)
}

// requestOf is the task's resources entry a placement satisfies.
func requestOf(t *task.Task, p optimizer.Placement) *task.Resources {
	if p.Request != nil {
		return p.Request
	}
	if p.RequestIndex < len(t.Resources.Items) {
		return &t.Resources.Items[p.RequestIndex]
	}
	return &task.Resources{}
}
