package optimizer

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"math"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/task"
)

// hostChoice is one feasible instance type of a cloud for a request.
type hostChoice struct {
	cloud        string
	instanceType string
	// acc is the accelerator the node carries: inferred from the type on
	// AWS/Azure, priced separately on GCP (accSeparate).
	acc         *task.Accelerator
	accSeparate bool
	vcpus, mem  float64
	sortPrice   float64 // the cheapest row price used to rank types
}

// cloudResult is what one cloud can offer for one request.
type cloudResult struct {
	choices []hostChoice // cheapest first
	// reason says why choices is empty ("" when it is not).
	reason string
	// mismatch marks a contradiction in the request itself (instance type
	// vs accelerators/cpus/memory): reported as an error even when other
	// clouds have candidates.
	mismatch bool
	// missingType marks an instance type this cloud does not have at all.
	missingType bool
}

// effectiveCPUMem applies SkyPilot's defaults for a request without
// accelerators or instance type: cpus 8+, memory 4x vCPUs.
func effectiveCPUMem(r *task.Resources) (cpus, mem *task.Quantity) {
	cpus, mem = r.CPUs, r.Memory
	if cpus == nil && mem == nil {
		cpus = &task.Quantity{Value: defaultVCPUs, AtLeast: true}
	}
	if mem == nil {
		mem = &task.Quantity{Value: defaultMemoryPerVCPU, PerCPU: true}
	}
	return cpus, mem
}

func inLocation(o *catalog.Offer, in task.Infra) bool {
	if in.Region != "" && !strings.EqualFold(o.Region, in.Region) {
		return false
	}
	if in.Zone != "" && !strings.EqualFold(o.Zone, in.Zone) {
		return false
	}
	return true
}

func accMatches(name string, count float64, a *task.Accelerator) bool {
	return strings.EqualFold(name, a.Name) && math.Abs(count-a.Count) <= 0.01
}

// rankTypes keeps, per instance type, the cheapest eligible row's price and
// returns the types cheapest first (ties: catalog order).
func rankTypes(cloud string, rows []*catalog.Offer, price func(*catalog.Offer) (float64, bool)) []hostChoice {
	idx := map[string]int{}
	var out []hostChoice
	for _, o := range rows {
		p, ok := price(o)
		if !ok {
			continue
		}
		if i, seen := idx[o.InstanceType]; seen {
			out[i].sortPrice = math.Min(out[i].sortPrice, p)
			continue
		}
		idx[o.InstanceType] = len(out)
		hc := hostChoice{cloud: cloud, instanceType: o.InstanceType, vcpus: o.VCPUs, mem: o.MemoryGiB, sortPrice: p}
		if o.AcceleratorName != "" && accelHosts(cloud) == nil {
			hc.acc = &task.Accelerator{Name: o.AcceleratorName, Count: o.AcceleratorCount}
		}
		out = append(out, hc)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].sortPrice < out[j].sortPrice })
	return out
}

// marketPrice returns the row's price for the request's market, also
// enforcing max_hourly_cost when the cap applies to the row alone.
func marketPrice(r *task.Resources, capRow bool) func(*catalog.Offer) (float64, bool) {
	return func(o *catalog.Offer) (float64, bool) {
		p, ok := o.PriceFor(r.UseSpot)
		if !ok || (capRow && r.MaxHourlyCost > 0 && p > r.MaxHourlyCost) {
			return 0, false
		}
		return p, true
	}
}

// feasible lists the instance types of one cloud that satisfy r.
func feasible(cc *catalog.CloudCatalog, r *task.Resources) cloudResult {
	switch {
	case r.InstanceType != "":
		return feasibleInstanceType(cc, r)
	case r.Accelerator != nil && accelHosts(cc.Name) != nil:
		return feasibleAttachedAccelerator(cc, accelHosts(cc.Name), r)
	case r.Accelerator != nil:
		return feasibleVMAccelerator(cc, r)
	}
	return feasibleDefault(cc, r)
}

// feasibleDefault picks from the default CPU families, ranked by on-demand
// price (spot only when use_spot and max_hourly_cost are both set).
func feasibleDefault(cc *catalog.CloudCatalog, r *task.Resources) cloudResult {
	cpus, mem := effectiveCPUMem(r)
	var rows []*catalog.Offer
	// Rows of one instance type are adjacent: remember the last verdict.
	lastType, lastDefault := "", false
	for i := range cc.Offers {
		o := &cc.Offers[i]
		if o.AcceleratorName != "" || !cpusOK(cpus, o.VCPUs) || !memOK(mem, o.MemoryGiB, o.VCPUs) || !inLocation(o, r.Infra) {
			continue
		}
		if o.InstanceType != lastType {
			lastType, lastDefault = o.InstanceType, isDefaultFamily(cc.Name, o.InstanceType)
		}
		if !lastDefault {
			continue
		}
		if _, ok := marketPrice(r, true)(o); !ok {
			continue
		}
		rows = append(rows, o)
	}
	bySpot := r.UseSpot && r.MaxHourlyCost > 0
	choices := rankTypes(cc.Name, rows, func(o *catalog.Offer) (float64, bool) { return o.PriceFor(bySpot) })
	if len(choices) == 0 {
		return cloudResult{reason: defaultMiss(cc, r, cpus)}
	}
	return cloudResult{choices: choices}
}

// defaultMiss says why no default CPU instance fits, naming only what the
// user asked for and the defaults that made the difference: the memory
// ratio applied when only cpus is set is mentioned only when an instance
// with those cpus exists but not with that memory.
func defaultMiss(cc *catalog.CloudCatalog, r *task.Resources, cpus *task.Quantity) string {
	head := fmt.Sprintf("no %s default CPU instance (%s)", cloud.DisplayName(cc.Name), defaultFamilyText(cc.Name))
	if r.CPUs == nil && r.Memory == nil {
		return head + fmt.Sprintf(" is offered%s with skyplan's default size (cpus=%g+, memory=%gx)", locationText(r.Infra), float64(defaultVCPUs), float64(defaultMemoryPerVCPU))
	}
	cpusFit, memFit, largest := false, false, 0.0
	_, mem := effectiveCPUMem(r)
	lastType, lastDefault := "", false
	for i := range cc.Offers {
		o := &cc.Offers[i]
		if o.AcceleratorName != "" || !inLocation(o, r.Infra) {
			continue
		}
		if o.InstanceType != lastType {
			lastType, lastDefault = o.InstanceType, isDefaultFamily(cc.Name, o.InstanceType)
		}
		if !lastDefault {
			continue
		}
		largest = math.Max(largest, o.VCPUs)
		if cpusOK(cpus, o.VCPUs) {
			cpusFit = true
			memFit = memFit || memOK(mem, o.MemoryGiB, o.VCPUs)
		}
	}
	var want []string
	if r.CPUs != nil {
		want = append(want, "cpus="+quantityText(r.CPUs))
	}
	switch {
	case r.Memory != nil:
		want = append(want, "memory="+quantityText(r.Memory))
	case cpusFit && !memFit:
		want = append(want, fmt.Sprintf("memory=%gx (the default when memory is not set)", float64(defaultMemoryPerVCPU)))
	}
	s := head + " has " + strings.Join(want, " and ")
	switch {
	case r.CPUs != nil && !cpusFit && largest > 0:
		s += fmt.Sprintf(" (the largest has %g vCPUs", largest)
		if miss := missingDefaultFamilies(cc); len(miss) > 0 {
			// A bundled snapshot may lack newer default families whose
			// sizes go further (m7i reaches 192 vCPUs): say so.
			s += fmt.Sprintf("; this catalog has no %s rows: `skyplan catalog update` fetches SkyPilot's full catalogs", strings.Join(miss, "/"))
		}
		s += ")"
	case memFit:
		// The size exists: the market or the price cap rules it out.
		market := "an on-demand"
		if r.UseSpot {
			market = "a spot"
		}
		s += " at " + market + " price" + capText(r)
	}
	if largest == 0 {
		s = head + " is offered" + locationText(r.Infra)
	}
	return s
}

// feasibleVMAccelerator handles AWS and Azure, where GPUs come with the VM.
func feasibleVMAccelerator(cc *catalog.CloudCatalog, r *task.Resources) cloudResult {
	var rows []*catalog.Offer
	anyName := false
	for i := range cc.Offers {
		o := &cc.Offers[i]
		if !accMatches(o.AcceleratorName, o.AcceleratorCount, r.Accelerator) {
			continue
		}
		anyName = true
		if inLocation(o, r.Infra) && cpusOK(r.CPUs, o.VCPUs) && memOK(r.Memory, o.MemoryGiB, o.VCPUs) {
			rows = append(rows, o)
		}
	}
	if !anyName {
		return cloudResult{reason: fmt.Sprintf("%s does not offer %s", cloud.DisplayName(cc.Name), accText(r.Accelerator))}
	}
	choices := rankTypes(cc.Name, rows, marketPrice(r, true))
	if len(choices) == 0 {
		return cloudResult{reason: fmt.Sprintf("no %s instance with %s matches %s", cloud.DisplayName(cc.Name), accText(r.Accelerator), constraintText(r))}
	}
	return cloudResult{choices: choices}
}

// feasibleAttachedAccelerator attaches GPUs to fixed host families (GCP:
// A100, L4, H100...) or general hosts (N1 VMs), and TPUs to TPU VMs (or a
// general host for TPU nodes), on a cloud that prices accelerators apart.
func feasibleAttachedAccelerator(cc *catalog.CloudCatalog, ah cloud.AcceleratorHosts, r *task.Resources) cloudResult {
	name := cloud.DisplayName(cc.Name)
	a := r.Accelerator
	offered, here := false, false
	for i := range cc.Accelerators {
		o := &cc.Accelerators[i]
		if accMatches(o.AcceleratorName, o.AcceleratorCount, a) {
			offered = true
			if _, ok := o.PriceFor(r.UseSpot); ok && inLocation(o, r.Infra) {
				here = true
			}
		}
	}
	if !offered {
		return cloudResult{reason: fmt.Sprintf("%s does not offer %s", name, accText(a))}
	}
	if !here {
		return cloudResult{reason: fmt.Sprintf("%s does not offer %s%s%s", name, accText(a), marketText(r), locationText(r.Infra))}
	}
	if task.IsTPU(a.Name) && (r.AcceleratorArgs == nil || r.AcceleratorArgs.TPUVM) {
		v, m := ah.TPUVMShape(a.Name)
		if !cpusOK(r.CPUs, v) || !memOK(r.Memory, m, v) {
			return cloudResult{reason: fmt.Sprintf("a %s TPU VM host has %g vCPUs and %g GB memory, which does not match %s", a.Name, v, m, constraintText(r))}
		}
		return cloudResult{choices: []hostChoice{{cloud: cc.Name, instanceType: ah.TPUVMType(), acc: a, accSeparate: true}}}
	}
	cpus, mem := r.CPUs, r.Memory
	var allowed func(string) bool
	switch {
	case task.IsTPU(a.Name):
		allowed = func(t string) bool { return t == ah.TPUNodeHost() }
	case ah.FixedHosts(a.Name) != nil:
		types := ah.FixedHosts(a.Name)[a.Count]
		if len(types) == 0 {
			return cloudResult{reason: fmt.Sprintf("%s offers %s only in counts %s", name, a.Name, countsText(ah.FixedHosts(a.Name)))}
		}
		allowed = func(t string) bool { return contains(types, t) }
	default:
		table := ah.DefaultHostCPUs(a.Name)
		if cpus == nil && mem == nil {
			n, ok := table[a.Count]
			if !ok {
				return cloudResult{reason: fmt.Sprintf("%s N1 hosts do not take %s", name, accText(a))}
			}
			cpus = &task.Quantity{Value: n, AtLeast: true}
		}
		if mem == nil {
			mem = &task.Quantity{Value: math.Trunc(cpus.Value) * defaultMemoryPerVCPU, AtLeast: true}
		}
		allowed = ah.AttachesTo
	}
	var rows []*catalog.Offer
	for i := range cc.Offers {
		o := &cc.Offers[i]
		if allowed(o.InstanceType) && inLocation(o, r.Infra) && cpusOK(cpus, o.VCPUs) && memOK(mem, o.MemoryGiB, o.VCPUs) {
			rows = append(rows, o)
		}
	}
	// Hosts are ranked by on-demand price, as SkyPilot does; the market
	// price is checked when zones are expanded.
	choices := rankTypes(cc.Name, rows, func(o *catalog.Offer) (float64, bool) { return o.PriceFor(false) })
	if len(choices) == 0 {
		return cloudResult{reason: fmt.Sprintf("no %s host for %s has %s%s", name, accText(a), cpuMemText(cpus, mem), locationText(r.Infra))}
	}
	for i := range choices {
		choices[i].acc, choices[i].accSeparate = a, true
	}
	return cloudResult{choices: choices}
}

// feasibleInstanceType checks a user-named instance type on one cloud.
func feasibleInstanceType(cc *catalog.CloudCatalog, r *task.Resources) cloudResult {
	it := r.InstanceType
	ah := accelHosts(cc.Name)
	if ah != nil && it == ah.TPUVMType() {
		if r.Accelerator == nil || !task.IsTPU(r.Accelerator.Name) {
			return cloudResult{reason: "instance type TPU-VM needs a TPU accelerator (e.g. accelerators: tpu-v5litepod-8)", mismatch: true}
		}
		rr := *r
		rr.InstanceType = ""
		return feasibleAttachedAccelerator(cc, ah, &rr)
	}
	var rows []*catalog.Offer
	idx := cc.OfferIndexes(it)
	for _, i := range idx {
		if o := &cc.Offers[i]; inLocation(o, r.Infra) {
			rows = append(rows, o)
		}
	}
	if len(idx) == 0 {
		return cloudResult{reason: fmt.Sprintf("Invalid instance type %q for cloud %s", it, cloud.DisplayName(cc.Name)), missingType: true}
	}
	if len(rows) == 0 {
		return cloudResult{reason: fmt.Sprintf("%s is not offered%s", it, locationText(r.Infra))}
	}
	o := rows[0]
	var acc *task.Accelerator
	separate := false
	switch {
	case ah == nil && o.AcceleratorName != "":
		acc = &task.Accelerator{Name: o.AcceleratorName, Count: o.AcceleratorCount}
	case ah != nil:
		acc, separate = fixedHostAccelerator(ah, it), true
		tpuNode := r.Accelerator != nil && task.IsTPU(r.Accelerator.Name) && r.AcceleratorArgs != nil && !r.AcceleratorArgs.TPUVM
		if acc == nil && r.Accelerator != nil && ah.AttachesTo(it) && (tpuNode || !task.IsTPU(r.Accelerator.Name)) {
			acc = r.Accelerator // N1 takes any other GPU, and carries TPU nodes
		}
	}
	if r.Accelerator != nil && (acc == nil || !accMatches(acc.Name, acc.Count, r.Accelerator)) {
		has := "no accelerators"
		if acc != nil {
			has = accText(acc)
		}
		return cloudResult{mismatch: true, reason: fmt.Sprintf("Infeasible resource demands: instance type %s has %s but %s is requested. "+
			"Either only specify instance_type, or change the accelerators field to be consistent.", it, has, accText(r.Accelerator))}
	}
	if !cpusOK(r.CPUs, o.VCPUs) {
		return cloudResult{mismatch: true, reason: fmt.Sprintf("%s does not have the requested number of vCPUs. %s has %g vCPUs, but %s is requested.", it, it, o.VCPUs, quantityText(r.CPUs))}
	}
	if !memOK(r.Memory, o.MemoryGiB, o.VCPUs) {
		return cloudResult{mismatch: true, reason: fmt.Sprintf("%s does not have the requested memory. %s has %g GB memory, but %s is requested.", it, it, o.MemoryGiB, quantityText(r.Memory))}
	}
	choices := rankTypes(cc.Name, rows, marketPrice(r, ah == nil))
	if len(choices) == 0 {
		return cloudResult{reason: fmt.Sprintf("%s has no %s price%s", it, strings.TrimSpace(marketText(r)), capText(r))}
	}
	choices[0].acc, choices[0].accSeparate = acc, separate
	return cloudResult{choices: choices[:1]}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// missingDefaultFamilies lists the default families the cloud names in
// its text ("m6i/c6i/r6i/m7i/c7i/r7i") that have no row in cc; nil when
// the text is not a list of families.
func missingDefaultFamilies(cc *catalog.CloudCatalog) []string {
	parts := strings.Split(defaultFamilyText(cc.Name), "/")
	for _, p := range parts {
		if !isDefaultFamily(cc.Name, p+".x") {
			return nil
		}
	}
	seen := map[string]bool{}
	for i := range cc.Offers {
		fam, _, _ := strings.Cut(cc.Offers[i].InstanceType, ".")
		seen[fam] = true
	}
	var miss []string
	for _, p := range parts {
		if !seen[p] {
			miss = append(miss, p)
		}
	}
	return miss
}
