package task

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// catalogCloud reports whether skyplan knows the accelerator names of a
// cloud ("" = any) from its catalogs: every registered cloud but node
// pools. Names for other clouds (kubernetes, ssh pools, ...) pass through
// as written, like SkyPilot does.
func catalogCloud(name string) bool {
	if name == "" {
		return true
	}
	_, ok := cloud.Lookup(name)
	return ok && !cloud.IsNodePool(name)
}

// gkeCloud is SkyPilot's Kubernetes, where GKE TPU names live; skyplan
// parses it but does not plan on it.
const gkeCloud = "kubernetes"

// gkeTPUs are TPU names that only exist on GKE (SkyPilot forces
// kubernetes for them).
var gkeTPUs = map[string]bool{"tpu-v4-podslice": true, "tpu-v5-lite-device": true,
	"tpu-v5-lite-podslice": true, "tpu-v5p-slice": true, "tpu-v6e-slice": true}

// IsTPU reports whether an accelerator name is a TPU.
func IsTPU(name string) bool { return strings.HasPrefix(strings.ToLower(name), "tpu") }

// ParseAcceleratorString parses "V100", "V100:4" or "V100:0.5" into a name
// (not yet canonical) and a count.
func ParseAcceleratorString(s string) (string, float64, error) {
	t := strings.TrimSpace(s)
	if _, isSpec, err := ParseMemorySpec(t); isSpec {
		// A memory spec is a set of candidates; callers that take one
		// accelerator (--gpus) cannot hold it. The YAML path expands it.
		if err != nil {
			return "", 0, err
		}
		return "", 0, valueErr("Unsupported accelerator spec",
			"Accelerators by memory size (%q) select several GPUs and are only accepted in the task YAML's accelerators field. Name one accelerator here, e.g. \"A100-80GB:1\".", s)
	}
	name, cnt, hasCount := strings.Cut(t, ":")
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, " \t,{}[]") || (hasCount && strings.Contains(cnt, ":")) {
		return "", 0, valueErr("Invalid accelerators", "The \"accelerators\" field as a str should be <name> or <name>:<cnt>. Found: '%s'", s)
	}
	count := 1.0
	if hasCount {
		v, ok := parseDecimal(strings.TrimSpace(cnt))
		if !ok {
			return "", 0, valueErr("Invalid accelerators", "The \"accelerators\" field as a str should be <name> or <name>:<cnt>. Found: '%s'", s)
		}
		count = v
	}
	if count <= 0 {
		return "", 0, valueErr("Invalid accelerator count", "The accelerator count must be positive. Found: '%s'", s)
	}
	return name, count, nil
}

// CanonicalAccelerator matches name case-insensitively against known
// canonical names. With known == nil every name is accepted as written
// (TPU names lower-cased). When no name matches, it returns close matches.
func CanonicalAccelerator(name string, known []string) (string, []string, bool) {
	if known == nil {
		if IsTPU(name) {
			return strings.ToLower(name), nil, true
		}
		return name, nil, true
	}
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k, nil, true
		}
	}
	return "", closeMatches(name, known, 5), false
}

// canonical resolves an accelerator name for a resources item pinned to
// cloud, reporting unknown names at n.
// soft (one of several candidates) reports a warning instead: the other
// candidates can still be planned.
func (p *parser) canonicalAccel(n *yaml.Node, field, name, cloud string, soft bool) (string, bool) {
	if p.knownAccel == nil || !catalogCloud(cloud) {
		c, _, _ := CanonicalAccelerator(name, nil)
		return c, true
	}
	if c, ok := p.knownAccel[strings.ToLower(name)]; ok {
		return c, true
	}
	if gkeTPUs[strings.ToLower(name)] {
		return strings.ToLower(name), true
	}
	_, sugg, _ := CanonicalAccelerator(name, p.opts.Accelerators)
	detail := fmt.Sprintf("%q is not offered by any cloud in skyplan's catalogs.", name)
	if len(sugg) > 0 {
		detail += " Did you mean: " + strings.Join(sugg, ", ") + "?"
	}
	detail += " Run \"skyplan gpus list\" to see the offered accelerators."
	if soft {
		p.warnf(n, field, fmt.Sprintf("Unknown accelerator %q, candidate skipped", name), "%s", detail)
		return "", false
	}
	p.errorf(n, field, fmt.Sprintf("Unknown accelerator %q", name), "%s", detail)
	return "", false
}

// accelChoice is one accelerator candidate with the node it came from.
type accelChoice struct {
	name  string
	count float64
	node  *yaml.Node
	field string
	spec  string // memory spec it was expanded from ("80GB+"), "" if named
}

// parseAccelerators reads every accelerators form: "V100", "V100:4",
// {V100: 4}, a set {A100:1, V100:1} (unordered candidates) and a list
// [A100:1, V100:1] (ordered candidates).
func (p *parser) parseAccelerators(n *yaml.Node, field string) (choices []accelChoice, ordered, ok bool) {
	n = deref(n)
	one := func(node *yaml.Node, f, s string) bool {
		if spec, isSpec, err := ParseMemorySpec(s); isSpec {
			if err != nil {
				p.valueError(node, f, err)
				return false
			}
			return p.expandMemorySpec(node, f, spec, &choices)
		}
		name, cnt, err := ParseAcceleratorString(s)
		if err != nil {
			p.valueError(node, f, err)
			return false
		}
		choices = append(choices, accelChoice{name: name, count: cnt, node: node, field: f})
		return true
	}
	switch {
	case isNull(n):
		return nil, false, true
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str":
		return choices, false, one(n, field, n.Value)
	case n.Kind == yaml.MappingNode:
		pairs, _ := p.mapping(n, field, field, nil)
		good := true
		for _, pr := range pairs {
			v := deref(pr.val)
			switch {
			case isNull(v):
				good = one(pr.key, pr.path, pr.name) && good
			case v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!int" || v.ShortTag() == "!!float" || v.ShortTag() == "!!str"):
				if strings.Contains(pr.name, ":") {
					p.errorf(pr.key, pr.path, "Invalid accelerators", "Give the count either in the name (%q) or as the value, not both.", pr.name)
					good = false
					continue
				}
				good = one(v, pr.path, pr.name+":"+v.Value) && good
			default:
				p.typeError(v, pr.path, "an accelerator count")
				good = false
			}
		}
		return choices, false, good
	case n.Kind == yaml.SequenceNode:
		good := true
		for i, e := range n.Content {
			f := fmt.Sprintf("%s[%d]", field, i)
			e = deref(e)
			if e == nil || e.Kind != yaml.ScalarNode || e.ShortTag() != "!!str" {
				p.typeError(e, f, "an accelerator such as \"A100:1\"")
				good = false
				continue
			}
			if _, isSpec, _ := ParseMemorySpec(e.Value); isSpec && len(n.Content) > 1 {
				// The expansion is an unordered set: it has no place in a
				// preference order.
				p.errorf(e, f, "Memory spec in an ordered accelerator list",
					"%q selects a set of GPUs (cheapest wins), which has no position in an ordered list. Use it as the only accelerators value, or list the GPUs you prefer by name.", e.Value)
				good = false
				continue
			}
			good = one(e, f, e.Value) && good
		}
		return choices, len(n.Content) > 1, good
	}
	p.typeError(n, field, "an accelerator (\"V100\", \"V100:4\"), a mapping {V100: 4} or a list")
	return nil, false, false
}

// expandMemorySpec turns a memory spec into one candidate per matching GPU
// the catalogs offer. Like SkyPilot, the expansion is not "user
// specified": names no catalog offers are dropped silently.
func (p *parser) expandMemorySpec(n *yaml.Node, field string, spec MemorySpec, choices *[]accelChoice) bool {
	names := ExpandMemorySpec(spec, p.knownAccel)
	if len(names) == 0 {
		what := "GPU"
		if spec.Manufacturer != "" {
			what = spec.Manufacturer + " GPU"
		}
		p.errorf(n, field, "No accelerator matches the memory spec",
			"No %s in skyplan's catalogs has %s memory. Known sizes: %s. Add \"+\" for \"at least\" (e.g. \"%gGB+\").",
			what, memoryText(spec), memorySpecSizes(spec.Manufacturer), spec.MemoryGB)
		return false
	}
	for _, name := range names {
		*choices = append(*choices, accelChoice{name: name, count: spec.Count, node: n, field: field, spec: spec.Text})
	}
	return true
}

func memoryText(m MemorySpec) string {
	if m.AtLeast {
		return fmt.Sprintf("at least %g GB", m.MemoryGB)
	}
	return fmt.Sprintf("exactly %g GB", m.MemoryGB)
}

// defaultTPUArgs fills SkyPilot's TPU defaults: TPU VM, and a runtime
// version that depends on the TPU generation.
func defaultTPUArgs(name string, a *AcceleratorArgs, tpuVMSet bool) *AcceleratorArgs {
	if a == nil {
		a = &AcceleratorArgs{}
	}
	if !tpuVMSet {
		a.TPUVM = true
	}
	if a.RuntimeVersion == "" {
		switch {
		case !a.TPUVM:
			a.RuntimeVersion = "2.12.0"
		case strings.HasPrefix(name, "tpu-v5"):
			a.RuntimeVersion = "v2-alpha-tpuv5"
		case strings.HasPrefix(name, "tpu-v6e"):
			a.RuntimeVersion = "v2-alpha-tpuv6e"
		default:
			a.RuntimeVersion = "tpu-vm-base"
		}
	}
	return a
}

// knownAccelMap indexes canonical names by lower case.
func knownAccelMap(names []string) map[string]string {
	if names == nil {
		return nil
	}
	m := make(map[string]string, len(names))
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, n := range sorted {
		if _, dup := m[strings.ToLower(n)]; !dup {
			m[strings.ToLower(n)] = n
		}
	}
	return m
}
