package optimizer

import (
	"math"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/task"
)

// The oracle recomputes, straight from the catalog rows and independently
// of the optimizer's code paths, the cheapest matching row for random
// requests; the optimizer's chosen cost must equal it.

var oracleAzureDefault = regexp.MustCompile(`^Standard_(D[0-9]+s_v5|E[0-9]+s_v5|F[0-9]+s_v2)$`)

func oracleDefaultFamily(cloud, it string) bool {
	switch cloud {
	case "aws":
		for _, f := range []string{"m6i.", "m6id.", "m7i.", "r6i.", "r6id.", "r7i.", "c6i.", "c6id.", "c7i."} {
			if strings.HasPrefix(it, f) {
				return true
			}
		}
	case "gcp":
		for _, f := range []string{"n2-standard-", "n2-highmem-", "n2-highcpu-", "n4-standard-", "n4-highcpu-", "n4-highmem-"} {
			if strings.HasPrefix(it, f) {
				return true
			}
		}
	case "azure":
		return oracleAzureDefault.MatchString(it)
	}
	return false
}

func oracleQty(q *task.Quantity, v, vcpus float64) bool {
	switch {
	case q == nil:
		return true
	case q.PerCPU:
		return v >= q.Value*vcpus
	case q.AtLeast:
		return v >= q.Value
	}
	return v == q.Value
}

// oracleMin returns the cheapest per-node price of a row satisfying r on
// the given clouds, or -1.
func oracleMin(t *testing.T, clouds []string, r task.Resources) float64 {
	best := -1.0
	cpus, mem := r.CPUs, r.Memory
	if r.Accelerator == nil && cpus == nil && mem == nil {
		cpus = &task.Quantity{Value: 8, AtLeast: true}
	}
	if r.Accelerator == nil && mem == nil {
		mem = &task.Quantity{Value: 4, PerCPU: true}
	}
	for _, c := range clouds {
		cc, err := embedded.Cloud(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range cc.Offers {
			if r.Accelerator != nil {
				if !strings.EqualFold(o.AcceleratorName, r.Accelerator.Name) || math.Abs(o.AcceleratorCount-r.Accelerator.Count) > 0.01 {
					continue
				}
			} else if o.AcceleratorName != "" || !oracleDefaultFamily(c, o.InstanceType) {
				continue
			}
			if r.Infra.Region != "" && o.Region != r.Infra.Region {
				continue
			}
			if !oracleQty(cpus, o.VCPUs, o.VCPUs) || !oracleQty(mem, o.MemoryGiB, o.VCPUs) {
				continue
			}
			p := o.Price
			if r.UseSpot {
				p = o.SpotPrice
			}
			if p < 0 || (r.MaxHourlyCost > 0 && p > r.MaxHourlyCost) {
				continue
			}
			if best < 0 || p < best {
				best = p
			}
		}
	}
	return best
}

func TestOracleCheapestMatchingRow(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	pick := func(list []string) string { return list[rng.Intn(len(list))] }
	cpuChoices := []*task.Quantity{nil, nil, qPlus(4), qPlus(8), q(16), qPlus(32), q(2), q(8)}
	memChoices := []*task.Quantity{nil, nil, qPlus(16), qPlus(64), q(32), {Value: 8, PerCPU: true}}
	type accel struct {
		name  string
		count float64
	}
	accels := map[string][]accel{}
	for _, c := range []string{"aws", "azure"} {
		cc, _ := embedded.Cloud(c)
		seen := map[accel]bool{}
		for _, o := range cc.Offers {
			a := accel{o.AcceleratorName, o.AcceleratorCount}
			if a.name != "" && !seen[a] {
				seen[a] = true
				accels[c] = append(accels[c], a)
			}
		}
	}
	checked, infeasible := 0, 0
	for i := 0; i < 300; i++ {
		var r task.Resources
		var clouds []string
		if rng.Intn(2) == 0 {
			// Accelerator request on AWS/Azure (GPU price is in the VM price).
			c := pick([]string{"aws", "azure"})
			a := accels[c][rng.Intn(len(accels[c]))]
			r.Accelerator = &task.Accelerator{Name: strings.ToLower(a.name), Count: a.count}
			r.UseSpot = rng.Intn(2) == 0
			clouds = []string{c}
			if rng.Intn(2) == 0 {
				clouds = []string{"aws", "azure"}
			} else {
				r.Infra.Cloud = c
			}
		} else {
			// Default CPU instance, on-demand, any of the three clouds.
			clouds = []string{pick([]string{"aws", "gcp", "azure"})}
			r.Infra.Cloud = clouds[0]
			if rng.Intn(3) == 0 {
				clouds, r.Infra.Cloud = []string{"aws", "gcp", "azure"}, ""
			}
		}
		r.CPUs = cpuChoices[rng.Intn(len(cpuChoices))]
		r.Memory = memChoices[rng.Intn(len(memChoices))]
		if r.Infra.Cloud != "" && rng.Intn(3) == 0 {
			cc, _ := embedded.Cloud(r.Infra.Cloud)
			r.Infra.Region = pick(cc.Regions())
		}
		if rng.Intn(4) == 0 {
			r.MaxHourlyCost = []float64{0.5, 1, 3, 10}[rng.Intn(4)]
		}
		nodes := 1 + rng.Intn(3)
		tk := &task.Task{NumNodes: nodes, Resources: task.ResourceSet{Items: []task.Resources{r}}}
		want := oracleMin(t, clouds, r)
		opts := Options{Catalog: embedded}
		if r.Infra.Cloud == "" {
			opts.EnabledClouds = clouds
		}
		plan, ds := Optimize(tk, opts)
		if want < 0 {
			infeasible++
			if plan != nil || !ds.HasErrors() {
				t.Errorf("request %d %s: oracle finds no row, optimizer chose %+v", i, describe(&r, clouds), plan.Chosen)
			}
			continue
		}
		checked++
		if plan == nil {
			t.Errorf("request %d %s: oracle min %.4f, optimizer failed: %v", i, describe(&r, clouds), want, ds)
			continue
		}
		if got := plan.Chosen.HourlyCost; math.Abs(got-want*float64(nodes)) > 1e-6 {
			t.Errorf("request %d %s ×%d: chose %s %s at %.6f, oracle %.6f", i, describe(&r, clouds), nodes,
				plan.Chosen.InstanceType, plan.Chosen.Region, got, want*float64(nodes))
		}
	}
	if checked < 100 || infeasible < 10 {
		t.Errorf("weak sample: %d feasible, %d infeasible", checked, infeasible)
	}
	t.Logf("%d feasible, %d infeasible requests checked", checked, infeasible)
	_ = catalog.Clouds
}
