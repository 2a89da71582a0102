package optimizer

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"math"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

// locatedError builds an error diagnostic pointing at the first recorded
// position of one of fields for request item idx.
func locatedError(t *task.Task, idx int, fields []string, summary, detail string) diag.Diagnostic {
	d := diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail}
	path := ""
	if idx >= 0 && idx < len(t.Resources.Items) {
		for _, f := range fields {
			if fp, ok := t.Resources.Items[idx].Fields[f]; ok && path == "" {
				path = fp
			}
		}
	}
	for _, f := range fields {
		for _, k := range []string{fmt.Sprintf("resources.any_of[%d].%s", idx, f), fmt.Sprintf("resources.ordered[%d].%s", idx, f), "resources." + f} {
			if _, ok := t.Source.Positions[k]; ok && path == "" {
				path = k
			}
		}
	}
	if path == "" {
		// Fall back to any recorded occurrence (e.g. a differently indexed item).
		var keys []string
		for k := range t.Source.Positions {
			for _, f := range fields {
				if strings.HasPrefix(k, "resources") && strings.HasSuffix(k, "."+f) {
					keys = append(keys, k)
				}
			}
		}
		sort.Strings(keys)
		if len(keys) > 0 {
			path = keys[0]
		}
	}
	if path == "" {
		path = "resources." + fields[0]
	}
	d.Field = path
	d.Subject = t.Source.Range(path)
	return d
}

// validateLocation checks a pinned region/zone against the catalogs (with
// SkyPilot's "Did you mean" suggestions) and, when only a region or zone is
// given, narrows the clouds to those that have it.
func validateLocation(t *task.Task, r *task.Resources, idx int, clouds []string, cat *catalog.Catalog) ([]string, *diag.Diagnostic) {
	in := r.Infra
	if in.Region == "" && in.Zone == "" {
		return clouds, nil
	}
	if _, known := cloud.Lookup(in.Cloud); known && in.Zone != "" && !cloud.HasZones(in.Cloud) {
		d := locatedError(t, idx, []string{"infra", "zone"}, cloud.DisplayName(in.Cloud)+" does not support zones",
			fmt.Sprintf("%s placements are region-level. Use infra: %s/<region>.", cloud.DisplayName(in.Cloud), strings.ToLower(in.Cloud)))
		return nil, &d
	}
	var keep []string
	var lastErr string
	for _, c := range clouds {
		cc, err := cat.Cloud(c)
		if err != nil {
			continue
		}
		regions := cc.Regions()
		if in.Region != "" && !containsFold(regions, in.Region) {
			lastErr = fmt.Sprintf("Invalid region %q for %s.%s", in.Region, cloud.DisplayName(c), suggest(in.Region, regions, cloud.DisplayName(c)+" regions"))
			continue
		}
		if in.Zone != "" {
			zones := cc.Zones(in.Region)
			if !containsFold(zones, in.Zone) {
				where := ""
				if in.Region != "" {
					where = fmt.Sprintf(" for region %q", in.Region)
				}
				lastErr = fmt.Sprintf("Invalid zone %q%s on %s.%s", in.Zone, where, cloud.DisplayName(c), suggest(in.Zone, zones, "zones"))
				continue
			}
		}
		keep = append(keep, c)
	}
	if len(keep) == 0 {
		summary := "Invalid region"
		if in.Zone != "" {
			summary = "Invalid zone"
		}
		detail := lastErr
		if in.Cloud == "" {
			detail = fmt.Sprintf("Invalid (region %q, zone %q) for any cloud among [%s].", in.Region, in.Zone, labels(clouds))
		}
		d := locatedError(t, idx, []string{"infra", "region", "zone"}, summary, detail)
		return nil, &d
	}
	return keep, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// suggest renders close matches (edit distance) or the full list.
func suggest(s string, all []string, what string) string {
	var close []string
	for _, a := range all {
		if diag.EditDistance(strings.ToLower(s), strings.ToLower(a)) <= 2 {
			close = append(close, a)
		}
	}
	if len(close) > 0 {
		if len(close) > 5 {
			close = close[:5]
		}
		return fmt.Sprintf("\nDid you mean one of these: %s?", strings.Join(close, ", "))
	}
	return fmt.Sprintf("\nList of supported %s: %s", what, strings.Join(all, ", "))
}

// fuzzyAccelerators lists offered NAME:COUNT close to the request, best
// first: the same accelerator at the nearest counts (ties: the larger
// count, which satisfies the request), then names containing the requested
// one with at least the requested count (SkyPilot's rule), cheapest first,
// then names within a small edit distance at the nearest counts.
func fuzzyAccelerators(cat *catalog.Catalog, clouds []string, r *task.Resources) []string {
	want := strings.ToLower(r.Accelerator.Name)
	n := r.Accelerator.Count
	type cand struct {
		name  string
		count float64
		price float64
	}
	offered := map[string]*cand{}
	for _, c := range clouds {
		cc, err := cat.Cloud(c)
		if err != nil {
			continue
		}
		rows := cc.Offers
		if accelHosts(c) != nil {
			rows = cc.Accelerators
		}
		for i := range rows {
			o := &rows[i]
			if o.AcceleratorName == "" || !inLocation(o, r.Infra) {
				continue
			}
			p, ok := o.PriceFor(false)
			if !ok {
				continue
			}
			label := o.AcceleratorName + ":" + countText(o.AcceleratorCount)
			if old := offered[label]; old == nil || p < old.price {
				offered[label] = &cand{o.AcceleratorName, o.AcceleratorCount, p}
			}
		}
	}
	byCount := func(a, b *cand) bool {
		da, db := math.Abs(a.count-n), math.Abs(b.count-n)
		if da != db {
			return da < db
		}
		if a.count != b.count {
			return a.count > b.count
		}
		return a.price < b.price
	}
	byPrice := func(a, b *cand) bool { return a.price < b.price }
	groups := []struct {
		match func(name string, count float64) bool
		less  func(a, b *cand) bool
	}{
		{func(name string, _ float64) bool { return name == want }, byCount},
		{func(name string, count float64) bool {
			return name != want && strings.Contains(name, want) && count >= n
		}, byPrice},
		{func(name string, _ float64) bool {
			return name != want && !strings.Contains(name, want) && (diag.EditDistance(name, want) <= 2 || strings.Contains(want, name))
		}, byCount},
	}
	var out []string
	for _, g := range groups {
		var cs []*cand
		for _, c := range offered {
			if g.match(strings.ToLower(c.name), c.count) {
				cs = append(cs, c)
			}
		}
		sort.Slice(cs, func(i, j int) bool {
			if g.less(cs[i], cs[j]) != g.less(cs[j], cs[i]) {
				return g.less(cs[i], cs[j])
			}
			return cs[i].name+countText(cs[i].count) < cs[j].name+countText(cs[j].count)
		})
		for _, c := range cs {
			out = append(out, c.name+":"+countText(c.count))
		}
	}
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

// noCandidateDiag explains an empty plan in SkyPilot's words.
func noCandidateDiag(t *task.Task, items []task.Resources, numNodes int, failures []failure) diag.Diagnostic {
	var b strings.Builder
	var fuzzy []string
	var hints []string
	for _, f := range failures {
		r := &items[f.index]
		fmt.Fprintf(&b, "%dx %s:\n", numNodes, describe(r, f.clouds))
		for _, reason := range f.reasons {
			fmt.Fprintf(&b, "  - %s\n", reason)
		}
		fuzzy = append(fuzzy, f.fuzzy...)
		hints = append(hints, requestHints(r)...)
	}
	b.WriteString("To fix: relax or change the resource requirements.")
	if len(fuzzy) > 0 {
		fmt.Fprintf(&b, "\nDid you mean: %s?", strings.Join(dedupe(fuzzy), ", "))
	}
	for _, h := range dedupe(hints) {
		b.WriteString("\n" + h)
	}
	if anyAccelerator(items, failures) {
		b.WriteString("\n\nHint: skyplan gpus list to list available accelerators.")
	}
	field := []string{"accelerators", "instance_type", "cpus", "memory", "infra"}
	if items[failures[0].index].Accelerator == nil {
		field = field[1:]
	}
	d := locatedError(t, failures[0].index, field, "Catalog does not contain any instances satisfying the request", strings.TrimRight(b.String(), "\n"))
	return d
}

// anyAccelerator: the GPU listing helps only a request for accelerators.
func anyAccelerator(items []task.Resources, failures []failure) bool {
	for _, f := range failures {
		if items[f.index].Accelerator != nil {
			return true
		}
	}
	return false
}

func requestHints(r *task.Resources) []string {
	var out []string
	if r.CPUs != nil && !r.CPUs.AtLeast {
		out = append(out, `Try specifying a different CPU count, or add "+" to the end of the CPU count to allow for larger instances.`)
	}
	if r.Memory != nil && !r.Memory.AtLeast && !r.Memory.PerCPU {
		out = append(out, `Try specifying a different memory size, or add "+" to the end of the memory size to allow for larger instances.`)
	}
	if r.MaxHourlyCost > 0 {
		out = append(out, fmt.Sprintf("Try raising max_hourly_cost (now $%g per node).", r.MaxHourlyCost))
	}
	if r.UseSpot {
		out = append(out, "Try use_spot: false; not every instance type has a spot offer.")
	}
	return out
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// describe renders a request like SkyPilot: "AWS(gpus=A100:3, cpus=8+, spot)".
func describe(r *task.Resources, clouds []string) string {
	var parts []string
	if r.InstanceType != "" {
		parts = append(parts, r.InstanceType)
	}
	if r.Accelerator != nil {
		parts = append(parts, "gpus="+accText(r.Accelerator))
	}
	if r.CPUs != nil {
		parts = append(parts, "cpus="+quantityText(r.CPUs))
	}
	if r.Memory != nil {
		parts = append(parts, "mem="+quantityText(r.Memory))
	}
	if r.UseSpot {
		parts = append(parts, "spot")
	}
	if r.MaxHourlyCost > 0 {
		parts = append(parts, fmt.Sprintf("max_hourly_cost=%g", r.MaxHourlyCost))
	}
	where := labels(clouds)
	if r.Infra.Cloud != "" {
		where = cloud.DisplayName(strings.ToLower(r.Infra.Cloud))
	}
	if r.Infra.Region != "" {
		parts = append(parts, "region="+r.Infra.Region)
	}
	if r.Infra.Zone != "" {
		parts = append(parts, "zone="+r.Infra.Zone)
	}
	if where == "" {
		where = "any cloud"
	}
	return fmt.Sprintf("%s(%s)", where, strings.Join(parts, ", "))
}

func labels(clouds []string) string {
	var out []string
	for _, c := range clouds {
		out = append(out, cloud.DisplayName(c))
	}
	return strings.Join(out, ", ")
}

func countText(n float64) string {
	if n == float64(int64(n)) {
		return fmt.Sprintf("%d", int64(n))
	}
	return fmt.Sprintf("%.2f", n)
}

func accText(a *task.Accelerator) string { return a.Name + ":" + countText(a.Count) }

func quantityText(q *task.Quantity) string {
	if q == nil {
		return "any"
	}
	s := fmt.Sprintf("%g", q.Value)
	switch {
	case q.PerCPU:
		s += "x"
	case q.AtLeast:
		s += "+"
	}
	return s
}

func cpuMemText(cpus, mem *task.Quantity) string {
	return fmt.Sprintf("cpus=%s and memory=%s", quantityText(cpus), quantityText(mem))
}

func constraintText(r *task.Resources) string {
	s := cpuMemText(r.CPUs, r.Memory)
	return s + marketText(r) + locationText(r.Infra) + capText(r)
}

func marketText(r *task.Resources) string {
	if r.UseSpot {
		return " spot"
	}
	return " on-demand"
}

func locationText(in task.Infra) string {
	switch {
	case in.Zone != "":
		return " in zone " + in.Zone
	case in.Region != "":
		return " in region " + in.Region
	}
	return ""
}

func capText(r *task.Resources) string {
	if r.MaxHourlyCost > 0 {
		return fmt.Sprintf(" under max_hourly_cost $%g", r.MaxHourlyCost)
	}
	return ""
}

func countsText(m map[float64][]string) string {
	var ns []float64
	for n := range m {
		ns = append(ns, n)
	}
	sort.Float64s(ns)
	var out []string
	for _, n := range ns {
		out = append(out, countText(n))
	}
	return strings.Join(out, ", ")
}

func defaultFamilyText(cloudName string) string {
	if df, ok := cloud.As[cloud.DefaultFamilies](cloudName); ok {
		return df.DefaultFamiliesText()
	}
	return cloudName
}
