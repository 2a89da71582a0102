package optimizer

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

// Options steer one optimisation.
type Options struct {
	Catalog *catalog.Catalog
	// Blocked placements (from the fallback loop) are never returned.
	Blocked []Blocked
	// EnabledClouds restricts clouds unless the task pins one; nil = all.
	EnabledClouds []string
	// SSHPools maps an SSH node pool name to its number of hosts; pools are
	// free and offered when they have at least num_nodes hosts.
	SSHPools map[string]int
}

// Optimize returns the ranked placements for one task, following SkyPilot:
// per request and cloud only the cheapest feasible instance type becomes
// placements; Chosen is the cheapest placement (for an ordered resource
// list: the cheapest of the first item that has any). Candidates holds every
// placement of those cheapest types, sorted by hourly cost (ordered lists:
// by list position, then cost); the fallback loop walks it in order.
func Optimize(t *task.Task, opts Options) (*TaskPlan, diag.Diagnostics) {
	return optimize(t, opts, false)
}

// Candidates returns every feasible placement of every matching instance
// type (not only the cheapest type per cloud), sorted by hourly cost, for
// callers that weigh alternatives themselves (the pipeline optimizer).
// Blocked placements are excluded. ResourceSet.Ordered is ignored: callers
// read Placement.RequestIndex.
func Candidates(t *task.Task, opts Options) ([]Placement, diag.Diagnostics) {
	plan, ds := optimize(t, opts, true)
	if plan == nil {
		return nil, ds
	}
	out := append([]Placement(nil), plan.Candidates...)
	sortByCost(out)
	return out, ds
}

func optimize(t *task.Task, opts Options, allTypes bool) (*TaskPlan, diag.Diagnostics) {
	var ds diag.Diagnostics
	if opts.Catalog == nil {
		c, err := catalog.Load()
		if err != nil {
			return nil, ds.Append(err)
		}
		opts.Catalog = c
	}
	numNodes := t.NumNodes
	if numNodes < 1 {
		numNodes = 1
	}
	items := t.Resources.Items
	if len(items) == 0 {
		items = []task.Resources{{}}
	}
	plan := &TaskPlan{Name: t.Name, NumNodes: numNodes}
	opts.Catalog.Preload(cloudsToLoad(items, opts)...)

	var failures []failure
	var perItem [][]Placement
	for i := range items {
		r := &items[i]
		ps, fail, hints, itemDiags := planItem(t, r, i, numNodes, opts, allTypes)
		ds = append(ds, itemDiags...)
		if len(ps) > 0 {
			plan.Hints = append(plan.Hints, hints...)
		}
		offered := len(ps)
		ps = applyBlocked(ps, opts.Blocked)
		if offered > 0 && len(ps) == 0 {
			fail.reasons = append(fail.reasons, fmt.Sprintf("all %d placements found are blocked by earlier failures", offered))
		}
		if len(ps) == 0 {
			fail.index = i
			failures = append(failures, fail)
		}
		perItem = append(perItem, ps)
	}
	for _, ps := range perItem {
		plan.Candidates = append(plan.Candidates, ps...)
	}
	if t.Resources.Ordered {
		// Items keep list order; within an item, cheapest first.
		sort.SliceStable(plan.Candidates, func(i, j int) bool {
			a, b := plan.Candidates[i], plan.Candidates[j]
			if a.RequestIndex != b.RequestIndex {
				return a.RequestIndex < b.RequestIndex
			}
			return a.HourlyCost < b.HourlyCost
		})
	} else {
		sortByCost(plan.Candidates)
	}
	if len(plan.Candidates) == 0 {
		if ds.HasErrors() {
			return nil, ds
		}
		return nil, append(ds, noCandidateDiag(t, items, numNodes, failures))
	}
	chosen := plan.Candidates[0] // a copy: callers may reorder Candidates
	plan.Chosen = &chosen
	// Errors about individual items (e.g. an unsupported cloud in any_of)
	// become warnings when another item can run.
	for i := range ds {
		ds[i].Severity = diag.Warning
	}
	return plan, ds
}

func sortByCost(ps []Placement) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].HourlyCost < ps[j].HourlyCost })
}

// cloudsToLoad lists the catalogs a task needs, so pinned tasks skip the rest.
func cloudsToLoad(items []task.Resources, opts Options) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range items {
		for _, c := range candidateClouds(&r, opts) {
			if !seen[c] && !cloud.IsNodePool(c) {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// candidateClouds are the clouds a request may use, in iteration order.
func candidateClouds(r *task.Resources, opts Options) []string {
	if r.Infra.Cloud != "" {
		return []string{strings.ToLower(r.Infra.Cloud)}
	}
	var out []string
	for _, c := range catalog.Clouds() {
		if enabled(c, opts) {
			out = append(out, c)
		}
	}
	return out
}

func enabled(cloud string, opts Options) bool {
	if opts.EnabledClouds == nil {
		return true
	}
	for _, c := range opts.EnabledClouds {
		if strings.EqualFold(c, cloud) {
			return true
		}
	}
	return false
}

// failure records why one request item has no placement.
type failure struct {
	index   int
	reasons []string
	fuzzy   []string
	clouds  []string
}

// planItem computes one request item's placements.
// hints are SkyPilot's "Multiple ... instances satisfy" notes.
func planItem(t *task.Task, r *task.Resources, idx, numNodes int, opts Options, allTypes bool) ([]Placement, failure, []string, diag.Diagnostics) {
	var ds diag.Diagnostics
	var hints []string
	var fail failure
	pinned := strings.ToLower(r.Infra.Cloud)
	if _, ok := cloud.Lookup(pinned); pinned != "" && !ok {
		ds = append(ds, locatedError(t, idx, []string{"infra", "cloud"},
			fmt.Sprintf("Cloud %q is not supported by skyplan yet", pinned),
			fmt.Sprintf("skyplan plans on %s and SSH node pools (infra: ssh/<pool>). Change the infra to one of those, or remove it to let skyplan pick the cheapest cloud.", strings.Join(catalog.Clouds(), ", "))))
		return nil, fail, nil, ds
	}
	if cloud.IsNodePool(pinned) {
		p, d := sshPlacement(t, r, idx, numNodes, opts)
		if d != nil {
			return nil, fail, nil, append(ds, *d)
		}
		return []Placement{p}, fail, nil, nil
	}
	// A cloud the task pins is planned even when `skyplan check` did not
	// enable it: the user asked for it explicitly, and apply reports the
	// credential problem with its fix. EnabledClouds only narrows the
	// search of unpinned tasks (candidateClouds).
	clouds, d := validateLocation(t, r, idx, candidateClouds(r, opts), opts.Catalog)
	if d != nil {
		return nil, fail, nil, append(ds, *d)
	}
	fail.clouds = clouds
	if r.LocalDisk != "" {
		ds = append(ds, locatedError(t, idx, []string{"local_disk"}, "local_disk is not supported by the bundled catalog", localDiskText(r)))
		return nil, fail, nil, ds
	}
	var out []Placement
	var missingType []string
	var missingIn []*catalog.CloudCatalog
	for _, c := range clouds {
		cc, err := opts.Catalog.Cloud(c)
		if err != nil {
			ds = ds.Append(err)
			continue
		}
		res := feasible(cc, r)
		if res.mismatch {
			ds = append(ds, locatedError(t, idx, []string{"instance_type"}, "Instance type does not match the request", res.reason))
			continue
		}
		if res.missingType {
			missingType = append(missingType, cloud.DisplayName(c))
			missingIn = append(missingIn, cc)
			fail.reasons = append(fail.reasons, res.reason)
			continue
		}
		if len(res.choices) == 0 {
			fail.reasons = append(fail.reasons, res.reason)
			continue
		}
		choices, reason := filterTiers(c, res.choices, r)
		if len(choices) == 0 {
			fail.reasons = append(fail.reasons, reason)
			continue
		}
		if !allTypes {
			if h := multipleTypesHint(c, r, choices); h != "" {
				hints = append(hints, h)
			}
		}
		if !allTypes {
			choices = choices[:1]
		}
		n := 0
		for _, hc := range choices {
			ps := expand(cc, hc, r, idx, numNodes)
			n += len(ps)
			out = append(out, ps...)
		}
		if n == 0 {
			fail.reasons = append(fail.reasons, fmt.Sprintf("%s %s has no %s offer%s%s", cloud.DisplayName(c), choices[0].instanceType, strings.TrimSpace(marketText(r)), locationText(r.Infra), capText(r)))
		}
	}
	if r.InstanceType != "" && len(missingType) == len(clouds) && len(clouds) > 0 {
		summary := fmt.Sprintf("Instance type %q is not in the catalog", r.InstanceType)
		ds = append(ds, locatedError(t, idx, []string{"instance_type"}, summary, missingTypeText(r.InstanceType, missingIn)))
	}
	if len(out) == 0 && r.Accelerator != nil {
		fail.fuzzy = fuzzyAccelerators(opts.Catalog, clouds, r)
	}
	return out, fail, hints, ds
}

// applyBlocked drops blocked placements. A zone block on a region-level
// placement removes that zone from Zones; the placement disappears when no
// zone is left.
func applyBlocked(ps []Placement, blocked []Blocked) []Placement {
	if len(blocked) == 0 {
		return ps
	}
	out := ps[:0]
	set := cloud.BlockSet(blocked)
	for _, p := range ps {
		k := p.Key()
		if set.Blocks(k) {
			continue
		}
		if p.Zone == "" && len(p.Zones) > 0 {
			if p.Zones = set.ZonesLeft(k, p.Zones); len(p.Zones) == 0 {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func removeString(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// sshPlacement offers a pinned SSH node pool when it is large enough.
func sshPlacement(t *task.Task, r *task.Resources, idx, numNodes int, opts Options) (Placement, *diag.Diagnostic) {
	pool := r.Infra.Region
	if pool == "" {
		d := locatedError(t, idx, []string{"infra"}, "SSH infra needs a node pool name",
			"Write infra: ssh/<pool>, naming a pool from $SKYPLAN_HOME/ssh_node_pools.yaml.")
		return Placement{}, &d
	}
	hosts, ok := opts.SSHPools[pool]
	if !ok {
		var names []string
		for n := range opts.SSHPools {
			names = append(names, n)
		}
		sort.Strings(names)
		known := "none are defined"
		if len(names) > 0 {
			known = "defined pools: " + strings.Join(names, ", ")
		}
		d := locatedError(t, idx, []string{"infra"}, fmt.Sprintf("SSH node pool %q not found", pool),
			fmt.Sprintf("Define it in $SKYPLAN_HOME/ssh_node_pools.yaml (%s).", known))
		return Placement{}, &d
	}
	if hosts < numNodes {
		d := locatedError(t, idx, []string{"infra"}, fmt.Sprintf("SSH node pool %q is too small", pool),
			fmt.Sprintf("The task needs %d nodes but pool %q has %d hosts. Add hosts to the pool or lower num_nodes.", numNodes, pool, hosts))
		return Placement{}, &d
	}
	accels := map[string]float64{}
	if r.Accelerator != nil {
		accels[r.Accelerator.Name] = r.Accelerator.Count
	}
	return Placement{Cloud: "ssh", Region: pool, InstanceType: "ssh-node", Accelerators: accels,
		NumNodes: numNodes, Request: r, RequestIndex: idx}, nil
}
