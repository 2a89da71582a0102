package optimizer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
)

// missingTypeText explains an instance type no catalog lists. The bundled
// snapshot is dated and not complete for every cloud, so a real type the
// user typed correctly is far likelier missing from it than misspelled:
// say where skyplan looked, how to get SkyPilot's full catalogs, and only
// then offer close names.
func missingTypeText(instanceType string, ccs []*catalog.CloudCatalog) string {
	byProvenance := map[string][]string{}
	var provs []string
	for _, cc := range ccs {
		p := catalog.Provenance(cc)
		if byProvenance[p] == nil {
			provs = append(provs, p)
		}
		byProvenance[p] = append(byProvenance[p], cloud.DisplayName(cc.Name))
	}
	var where []string
	for _, p := range provs {
		where = append(where, fmt.Sprintf("%s for %s", p, strings.Join(byProvenance[p], ", ")))
	}
	s := fmt.Sprintf("%q is not in %s.", instanceType, strings.Join(where, "; "))
	embedded := false
	for _, cc := range ccs {
		embedded = embedded || cc.Embedded()
	}
	if embedded {
		s += " The snapshot is a dated copy and not complete for every cloud: run `skyplan catalog update` to fetch SkyPilot's full, current catalogs, then plan again."
	} else {
		s += " Run `skyplan catalog update` to fetch SkyPilot's current catalogs, then plan again."
	}
	if near := closeInstanceTypes(instanceType, ccs, 3); len(near) > 0 {
		s += " If it is a typo, did you mean: " + strings.Join(near, ", ") + "?"
	}
	return s
}

// closeInstanceTypes lists up to n offered types within edit distance 2.
func closeInstanceTypes(want string, ccs []*catalog.CloudCatalog, n int) []string {
	lw := strings.ToLower(want)
	type cand struct {
		name string
		d    int
	}
	seen := map[string]bool{}
	var cs []cand
	for _, cc := range ccs {
		for i := range cc.Offers {
			it := cc.Offers[i].InstanceType
			if seen[it] {
				continue
			}
			seen[it] = true
			li := strings.ToLower(it)
			if abs(len(li)-len(lw)) > 2 {
				continue
			}
			if d := diag.EditDistance(li, lw); d <= 2 {
				cs = append(cs, cand{it, d})
			}
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
