package task

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// GPUMemory is one GPU's manufacturer and per-device memory.
type GPUMemory struct {
	Manufacturer string  // "NVIDIA" | "AMD"
	MemoryGB     float64 // marketed size per device
}

// AcceleratorMemory plays the role of SkyPilot's common/metadata.csv, which
// skyplan does not ship: the GPUs of the bundled catalogs with their memory.
// Sizes are the marketed ones (A10G 24 GB) derived from the catalogs'
// GpuInfo MemoryInfo.SizeInMiB (which reports usable memory, e.g. A10G
// 22888 MiB); Azure rows carry no GpuInfo, so A10, V100-32GB, M60, MI25 and
// MI300X use their data-sheet sizes. optimizer's TestAcceleratorMemoryTable
// keeps the table within 8% of every catalog row that reports a size, and
// requires an entry for every catalog GPU. TPUs and AWS Neuron devices are
// not GPUs and are never selected by a memory spec.
var AcceleratorMemory = map[string]GPUMemory{
	"P4": {"NVIDIA", 8}, "M60": {"NVIDIA", 8},
	"T4": {"NVIDIA", 16}, "V100": {"NVIDIA", 16}, "P100": {"NVIDIA", 16},
	"A10": {"NVIDIA", 24}, "A10G": {"NVIDIA", 24}, "L4": {"NVIDIA", 24},
	"V100-32GB": {"NVIDIA", 32}, "A100": {"NVIDIA", 40}, "L40S": {"NVIDIA", 48},
	"A100-80GB": {"NVIDIA", 80}, "H100": {"NVIDIA", 80}, "H100-MEGA": {"NVIDIA", 80},
	"H200": {"NVIDIA", 141}, "B200": {"NVIDIA", 180},
	"MI25": {"AMD", 16}, "MI300X": {"AMD", 192},
}

// MemorySpec is an accelerators value naming GPUs by memory:
// [manufacturer:]<N>GB[+][:count].
type MemorySpec struct {
	Manufacturer string // upper case; "" = any
	MemoryGB     float64
	AtLeast      bool
	Count        float64
	Text         string // as written
}

var memSpecRE = regexp.MustCompile(`(?i)^(?:([a-z][a-z0-9]*):)?(\d+(?:\.\d+)?)gb(\+)?(?::([^:]*))?$`)

// ParseMemorySpec recognises a memory spec. ok is false when s is not one
// (a plain accelerator name); err reports a malformed one.
func ParseMemorySpec(s string) (spec MemorySpec, ok bool, err error) {
	t := strings.TrimSpace(s)
	m := memSpecRE.FindStringSubmatch(t)
	if m == nil {
		// SkyPilot: three parts are manufacturer:memory:count, so a
		// manufacturer with anything but a memory size is an error.
		if parts := strings.Split(t, ":"); len(parts) == 3 && knownManufacturer(parts[0]) {
			return spec, true, valueErr("Invalid accelerators",
				"If specifying a GPU manufacturer, you must also specify the memory size, e.g. '%s:80GB+:%s'. Found: '%s'", parts[0], parts[2], s)
		}
		return spec, false, nil
	}
	spec = MemorySpec{Manufacturer: strings.ToUpper(m[1]), AtLeast: m[3] != "", Count: 1, Text: t}
	spec.MemoryGB, _ = strconv.ParseFloat(m[2], 64)
	if m[1] != "" && !knownManufacturer(m[1]) {
		return spec, true, valueErr("Unknown GPU manufacturer",
			"Unknown GPU manufacturer '%s' in '%s'. Known manufacturers: %s.", m[1], s, strings.Join(manufacturers(), ", "))
	}
	if m[4] != "" {
		v, good := parseDecimal(strings.TrimSpace(m[4]))
		if !good || v <= 0 {
			return spec, true, valueErr("Invalid accelerators",
				"The accelerator count in a memory spec should be a positive number ([manufacturer:]<memory>GB[+][:<count>]). Found: '%s'", s)
		}
		spec.Count = v
	}
	if spec.MemoryGB <= 0 {
		return spec, true, valueErr("Invalid accelerators", "The accelerator memory should be positive. Found: '%s'", s)
	}
	return spec, true, nil
}

// Matches reports whether a GPU satisfies the spec.
func (m MemorySpec) Matches(g GPUMemory) bool {
	if m.Manufacturer != "" && !strings.EqualFold(m.Manufacturer, g.Manufacturer) {
		return false
	}
	if m.AtLeast {
		return g.MemoryGB >= m.MemoryGB
	}
	return g.MemoryGB == m.MemoryGB
}

// ExpandMemorySpec returns the GPU names that satisfy the spec, sorted.
// known (canonical names offered by the catalogs) narrows the result; nil
// keeps every table entry.
func ExpandMemorySpec(m MemorySpec, known map[string]string) []string {
	var out []string
	for name, g := range AcceleratorMemory {
		if !m.Matches(g) {
			continue
		}
		if known != nil {
			if _, ok := known[strings.ToLower(name)]; !ok {
				continue
			}
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// memorySpecSizes lists the table's sizes for "did you mean" details.
func memorySpecSizes(manufacturer string) string {
	seen := map[float64]bool{}
	var sizes []float64
	for _, g := range AcceleratorMemory {
		if (manufacturer == "" || strings.EqualFold(manufacturer, g.Manufacturer)) && !seen[g.MemoryGB] {
			seen[g.MemoryGB] = true
			sizes = append(sizes, g.MemoryGB)
		}
	}
	sort.Float64s(sizes)
	parts := make([]string, len(sizes))
	for i, s := range sizes {
		parts[i] = fmt.Sprintf("%gGB", s)
	}
	return strings.Join(parts, ", ")
}

func knownManufacturer(s string) bool {
	for _, m := range manufacturers() {
		if strings.EqualFold(m, s) {
			return true
		}
	}
	return false
}

func manufacturers() []string { return []string{"AMD", "NVIDIA"} }
