package task

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"maps"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// singleResourceFields are the keys of one resources object (also each
// any_of/ordered item), as in SkyPilot's _get_single_resources_schema, plus
// skyplan's time_estimate.
var singleResourceFields = []string{"infra", "cloud", "region", "zone", "cpus", "memory", "accelerators", "gpus",
	"accelerator_args", "instance_type", "use_spot", "job_recovery", "spot_recovery", "disk_size", "disk_tier",
	"network_tier", "ports", "labels", "image_id", "autostop", "priority", "priority_class", "volumes",
	"ephemeral_storage", "local_disk", "max_hourly_cost", "time_estimate",
	"_docker_login_config", "_is_image_managed", "_requires_fuse", "_cluster_config_overrides", "_no_missing_accel_warnings"}

var resourceFields = append(append([]string(nil), singleResourceFields...), "any_of", "ordered")

// DefaultDiskSizeGB is SkyPilot's default OS disk size.
const DefaultDiskSizeGB = 256

// resConfig is one merged resources mapping: key → pair (the pair's path
// says whether it came from the base or from an any_of/ordered item).
type resConfig struct {
	keys   []string
	pairs  map[string]pair
	labels []pair // every labels mapping, base first (any_of merges labels)
}

func (c *resConfig) set(pr pair) {
	if c.pairs == nil {
		c.pairs = map[string]pair{}
	}
	if pr.name == "labels" {
		c.labels = append(c.labels, pr)
	}
	if _, ok := c.pairs[pr.name]; !ok {
		c.keys = append(c.keys, pr.name)
	}
	c.pairs[pr.name] = pr
}

func (c *resConfig) clone() *resConfig {
	n := &resConfig{keys: append([]string(nil), c.keys...), pairs: maps.Clone(c.pairs), labels: append([]pair(nil), c.labels...)}
	return n
}

// parseResources turns the resources field into candidate requests.
func (p *parser) parseResources(n *yaml.Node, path string) ResourceSet {
	if isNull(n) {
		return ResourceSet{Items: []Resources{defaultResources()}}
	}
	pairs, ok := p.mapping(n, path, "resources", resourceFields)
	if !ok {
		return ResourceSet{Items: []Resources{defaultResources()}}
	}
	base := &resConfig{}
	var anyOf, ordered *pair
	for i := range pairs {
		pr := pairs[i]
		p.record(pr.path, pr.val)
		switch pr.name {
		case "any_of":
			anyOf = &pairs[i]
		case "ordered":
			ordered = &pairs[i]
		default:
			base.set(pr)
		}
	}
	if anyOf != nil && ordered != nil {
		p.errorf(ordered.key, ordered.path, "Cannot specify both \"any_of\" and \"ordered\" in resources",
			"Use any_of for \"cheapest of\" or ordered for \"in order of preference\", not both.")
		ordered = nil
	}
	var set ResourceSet
	configs := []*resConfig{base}
	group := anyOf
	if ordered != nil {
		group = ordered
		set.Ordered = true
	}
	if group != nil {
		configs = nil
		seq := deref(group.val)
		if isNull(seq) {
			configs = []*resConfig{base}
		} else if seq.Kind != yaml.SequenceNode {
			p.typeError(seq, group.path, "a list of resources")
		} else {
			for i, item := range seq.Content {
				ipath := fmt.Sprintf("%s[%d]", group.path, i)
				ipairs, ok := p.mapping(item, ipath, group.name+" items", singleResourceFields)
				if !ok {
					continue
				}
				c := base.clone()
				for _, ip := range ipairs {
					p.record(ip.path, ip.val)
					c.set(ip)
				}
				configs = append(configs, c)
			}
		}
	}
	for _, c := range configs {
		items, accelList := p.resourcesFromConfig(c, group != nil)
		if accelList && anyOf != nil {
			p.errorf(c.pairs[accelKey(c)].val, c.pairs[accelKey(c)].path, "Cannot combine an accelerator list with any_of",
				"Cannot specify multiple \"accelerators\" with preferred order (i.e., list of accelerators) with \"any_of\" in resources. Use a set {A100: 1, V100: 1} or one accelerator per any_of item.")
		}
		if len(items) > 1 && ordered != nil {
			p.errorf(c.pairs[accelKey(c)].val, c.pairs[accelKey(c)].path, "Cannot specify multiple accelerators with ordered",
				"Cannot specify multiple \"accelerators\" with \"ordered\" in resources. Give each accelerator its own ordered item.")
		}
		if accelList && group == nil {
			set.Ordered = true
		}
		set.Items = append(set.Items, items...)
	}
	if len(set.Items) == 0 {
		set.Items = []Resources{defaultResources()}
	}
	p.checkSharedAutostop(set, path)
	return set
}

func accelKey(c *resConfig) string {
	if _, ok := c.pairs["gpus"]; ok {
		return "gpus"
	}
	return "accelerators"
}

func defaultResources() Resources { return Resources{DiskSizeGB: DefaultDiskSizeGB} }

// resourcesFromConfig parses one merged mapping; several accelerators
// expand into one Resources each. accelList reports the list form.
func (p *parser) resourcesFromConfig(c *resConfig, inGroup bool) (items []Resources, accelList bool) {
	r := defaultResources()
	r.Fields = map[string]string{}
	for _, k := range c.keys {
		r.Fields[k] = c.pairs[k].path
	}
	// Location first: accelerator names are checked against the pinned cloud.
	p.resourceLocation(&r, c)
	var choices []accelChoice
	var args *AcceleratorArgs
	tpuVMSet := false
	for _, k := range c.keys {
		pr := c.pairs[k]
		switch k {
		case "infra", "cloud", "region", "zone":
		case "accelerators", "gpus":
			if k == "gpus" {
				if other, both := c.pairs["accelerators"]; both {
					p.errorf(other.key, other.path, "Cannot specify both gpus and accelerators",
						"Cannot specify both gpus and accelerators in config. gpus is an alias of accelerators: keep one.")
					continue
				}
			}
			ch, ordered, _ := p.parseAccelerators(pr.val, pr.path)
			if inGroup && distinctFields(ch) > 1 && strings.Contains(pr.path, "[") {
				p.errorf(pr.val, pr.path, "One accelerator per any_of/ordered item",
					"Inside any_of and ordered, accelerators must name a single accelerator; add one item per accelerator.")
			}
			if len(ch) > 1 && ch[0].spec != "" && strings.Contains(pr.path, "ordered[") {
				p.errorf(pr.val, pr.path, "Memory spec in an ordered item",
					"%q selects a set of GPUs (cheapest wins), which has no position in an ordered list. Move it to any_of, or name one accelerator per ordered item.", ch[0].spec)
			}
			choices, accelList = ch, ordered
		case "accelerator_args":
			args, tpuVMSet = p.acceleratorArgs(pr)
		case "labels":
			r.Labels = p.mergedLabels(c.labels)
		default:
			p.resourceField(&r, pr)
		}
	}
	p.checkImageID(&r)
	p.checkLabels(&r)
	if len(choices) == 0 {
		if args != nil {
			r.AcceleratorArgs = args
		}
		return []Resources{r}, false
	}
	soft := len(choices) > 1
	for _, ch := range choices {
		name, ok := p.canonicalAccel(ch.node, ch.field, ch.name, r.Infra.Cloud, soft)
		if !ok {
			continue
		}
		it := cloneResources(r)
		it.Accelerator = &Accelerator{Name: name, Count: ch.count, Spec: ch.spec}
		it.Fields["accelerators"] = ch.field
		if args != nil {
			a := *args
			it.AcceleratorArgs = &a
		}
		if IsTPU(name) {
			p.tpuRules(&it, ch, tpuVMSet)
		}
		items = append(items, it)
	}
	if soft && len(items) == 0 {
		var names []string
		for _, ch := range choices {
			names = append(names, ch.name)
		}
		p.errorf(choices[0].node, choices[0].field, "No known accelerator among the candidates",
			"None of %s is offered by a cloud in skyplan's catalogs. Run \"skyplan gpus list\" to see the offered accelerators.", strings.Join(names, ", "))
	}
	return items, accelList
}

// distinctFields counts the accelerators the user wrote: a memory spec
// expands to several choices from one field.
func distinctFields(ch []accelChoice) int {
	seen := map[string]bool{}
	for _, c := range ch {
		seen[c.field] = true
	}
	return len(seen)
}

// tpuRules applies SkyPilot's TPU handling: pinned to GCP (or kubernetes
// for GKE TPU names), TPU VM by default, runtime version defaults.
func (p *parser) tpuRules(r *Resources, ch accelChoice, tpuVMSet bool) {
	hosts := cloud.TPUHosts()
	if len(hosts) == 0 {
		return
	}
	tpuCloud := hosts[0]
	switch {
	case r.Infra.Cloud == "":
		r.Infra.Cloud = tpuCloud
		if gkeTPUs[r.Accelerator.Name] {
			r.Infra.Cloud = gkeCloud
		}
	case r.Infra.Cloud == tpuCloud, r.Infra.Cloud == gkeCloud:
	default:
		name := cloud.DisplayName(tpuCloud)
		p.errorf(ch.node, ch.field, "TPUs need "+name, "Cloud must be %s or Kubernetes for TPU accelerators (got %s).", name, r.Infra.Cloud)
		return
	}
	ah, ok := cloud.As[cloud.AcceleratorHosts](r.Infra.Cloud)
	if !ok {
		return
	}
	r.AcceleratorArgs = defaultTPUArgs(r.Accelerator.Name, r.AcceleratorArgs, tpuVMSet)
	if r.AcceleratorArgs.TPUVM && r.InstanceType != "" && r.InstanceType != ah.TPUVMType() {
		f := r.Fields["instance_type"]
		p.errorf(p.nodeAt(f), f, "Cannot specify instance type for TPU VM",
			"Cannot specify instance type (got '%s') for TPU VM. Remove instance_type, or set accelerator_args.tpu_vm: false for a TPU node.", r.InstanceType)
	}
}

// nodeAt rebuilds a node carrying the recorded position of a field, for
// diagnostics raised after the value was parsed.
func (p *parser) nodeAt(field string) *yaml.Node {
	r, ok := p.pos[field]
	if !ok {
		return nil
	}
	return &yaml.Node{Line: r.Start.Line, Column: r.Start.Column}
}

func cloneResources(r Resources) Resources {
	c := r
	c.Labels = maps.Clone(r.Labels)
	c.Fields = maps.Clone(r.Fields)
	c.TimeEstimateHrs = maps.Clone(r.TimeEstimateHrs)
	c.Ports = append([]PortRange(nil), r.Ports...)
	if r.CPUs != nil {
		q := *r.CPUs
		c.CPUs = &q
	}
	if r.Memory != nil {
		q := *r.Memory
		c.Memory = &q
	}
	if r.AcceleratorArgs != nil {
		a := *r.AcceleratorArgs
		c.AcceleratorArgs = &a
	}
	if r.Accelerator != nil {
		a := *r.Accelerator
		c.Accelerator = &a
	}
	return c
}

// resourceLocation reads infra, or the deprecated cloud/region/zone.
func (p *parser) resourceLocation(r *Resources, c *resConfig) {
	infra, hasInfra := c.pairs["infra"]
	var legacy []pair
	for _, k := range []string{"cloud", "region", "zone"} {
		if pr, ok := c.pairs[k]; ok && !isNull(pr.val) {
			legacy = append(legacy, pr)
		}
	}
	if hasInfra && !isNull(infra.val) && len(legacy) > 0 {
		got := func(k string) string {
			if pr, ok := c.pairs[k]; ok && !isNull(pr.val) {
				return deref(pr.val).Value
			}
			return "None"
		}
		p.errorf(legacy[0].key, legacy[0].path, "Cannot specify both infra and cloud, region, or zone",
			"Cannot specify both `infra` and `cloud`, `region`, or `zone` parameters. Got: infra=%s, cloud=%s, region=%s, zone=%s. Use infra: cloud/region/zone alone.",
			deref(infra.val).Value, got("cloud"), got("region"), got("zone"))
		return
	}
	if hasInfra && !isNull(infra.val) {
		if s, ok := p.str(infra.val, infra.path); ok {
			inf, err := ParseInfra(s)
			if err != nil {
				p.valueError(infra.val, infra.path, err)
				return
			}
			r.Infra = inf
		}
		return
	}
	for _, pr := range legacy {
		s, ok := p.str(pr.val, pr.path)
		if !ok {
			continue
		}
		switch pr.name {
		case "cloud":
			cl, err := canonicalCloud(s)
			if err != nil {
				p.valueError(pr.val, pr.path, err)
				continue
			}
			r.Infra.Cloud = cl
		case "region":
			r.Infra.Region = s
		case "zone":
			r.Infra.Zone = s
		}
	}
}

// checkSharedAutostop enforces SkyPilot's rule that all candidates share
// one autostop config.
func (p *parser) checkSharedAutostop(set ResourceSet, path string) {
	for _, it := range set.Items[1:] {
		a, b := set.Items[0].Autostop, it.Autostop
		if (a == nil) != (b == nil) || (a != nil && *a != *b) {
			f := it.Fields["autostop"]
			if f == "" {
				f = set.Items[0].Fields["autostop"]
			}
			p.errorf(p.nodeAt(f), f, "Autostop differs between candidate resources",
				"All resources must have the same autostop config. Set autostop once in resources, not per any_of/ordered item.")
			return
		}
	}
}

// checkImageID applies SkyPilot's image_id rules that need no catalog: a
// cloud image needs a cloud, and a per-region mapping must cover a pinned
// region.
func (p *parser) checkImageID(r *Resources) {
	img := r.ImageID
	if img == nil {
		return
	}
	f := r.Fields["image_id"]
	if img.Default != "" && !strings.HasPrefix(img.Default, "docker:") && r.Infra.Cloud == "" {
		p.errorf(p.nodeAt(f), f, "Cloud must be specified when image_id is provided",
			"Cloud must be specified when image_id is provided. Add infra: <cloud>[/<region>], or use a docker:<image>.")
	}
	if img.PerRegion != nil && r.Infra.Region != "" {
		if _, ok := img.PerRegion[r.Infra.Region]; !ok {
			p.errorf(p.nodeAt(f), f, "No image for the pinned region",
				"image_id should contain the image for the specified region %s.", r.Infra.Region)
		}
	}
	if img.PerRegion != nil && r.Infra.Cloud == "" {
		p.errorf(p.nodeAt(f), f, "Cloud must be specified when image_id is provided",
			"Cloud must be specified when image_id is provided. Add infra: <cloud> to use per-region images.")
	}
}

// checkLabels applies the pinned cloud's tag/label rules (AWS tags, GCP
// labels); other clouds ignore labels, like SkyPilot.
func (p *parser) checkLabels(r *Resources) {
	lr, ok := cloud.As[cloud.LabelRules](r.Infra.Cloud)
	if len(r.Labels) == 0 || !ok {
		return
	}
	var bad []string
	for k, v := range r.Labels {
		if !lr.LabelValid(k, v) {
			bad = append(bad, fmt.Sprintf("%s: %s", k, v))
		}
	}
	if len(bad) == 0 {
		return
	}
	sort.Strings(bad)
	f := r.Fields["labels"]
	p.errorf(p.nodeAt(f), f, "Invalid labels", "The following labels are invalid: %s. %s", strings.Join(bad, ", "), lr.LabelRule())
}
