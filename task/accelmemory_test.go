package task

import (
	"fmt"
	"strings"
	"testing"
)

// TestMemorySpecExpansion covers SkyPilot's memory-spec forms: each
// expands to an unordered set of the catalog GPUs whose memory matches,
// with the position of the accelerators field kept on every candidate.
func TestMemorySpecExpansion(t *testing.T) {
	cases := []struct{ yaml, want string }{
		// testAccelerators has no L40S/H200/MI300X, so they are not offered.
		{"accelerators: 24GB", "A10:1 | A10G:1 | L4:1"},
		{"accelerators: 80GB+", "A100-80GB:1 | H100:1"},
		{"accelerators: nvidia:80GB+", "A100-80GB:1 | H100:1"},
		{"accelerators: NVIDIA:40gb", "A100:1"},
		{"accelerators: 48GB+:2", "A100-80GB:2 | H100:2"},
		{"accelerators: 16GB:0.5", "T4:0.5 | V100:0.5"},
		{"accelerators: {24GB: 4}", "A10:4 | A10G:4 | L4:4"},
		{"accelerators: [40GB+]", "A100:1 | A100-80GB:1 | H100:1"},
		{"any_of:\n    - accelerators: 80GB+\n    - accelerators: T4", "A100-80GB:1 | H100:1 | T4:1"},
	}
	for _, c := range cases {
		t.Run(c.yaml, func(t *testing.T) {
			tk := mustTask(t, "resources:\n  "+c.yaml+"\n")
			var got []string
			for _, r := range tk.Resources.Items {
				got = append(got, fmt.Sprintf("%s:%g", r.Accelerator.Name, r.Accelerator.Count))
				if r.Accelerator.Spec == "" && r.Accelerator.Name != "T4" {
					t.Errorf("%s: Spec not recorded", r.Accelerator.Name)
				}
				// Positions are kept per written field (sub-keys of a mapping
				// or list resolve to the accelerators field itself).
				f := r.Fields["accelerators"]
				if i := strings.IndexAny(f, ".["); strings.HasPrefix(f, "resources.accelerators") && i >= 0 && len(f) > len("resources.accelerators") {
					f = "resources.accelerators"
				}
				if rg := tk.Source.Range(f); rg == nil || rg.Start.Line == 0 {
					t.Errorf("%s: no position for %q", r.Accelerator.Name, r.Fields["accelerators"])
				}
			}
			if strings.Join(got, " | ") != c.want {
				t.Errorf("got %s, want %s", strings.Join(got, " | "), c.want)
			}
			if tk.Resources.Ordered {
				t.Error("memory-spec candidates must be unordered (cheapest wins)")
			}
		})
	}
}

// TestMemorySpecWithoutCatalog expands against the whole table when the
// parser knows no catalog names, and AMD selects AMD GPUs only.
func TestMemorySpecWithoutCatalog(t *testing.T) {
	pl, ds := Parse("t.yaml", []byte("resources:\n  accelerators: amd:192GB:8\n"), LoadOptions{})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	it := pl.Tasks[0].Resources.Items
	if len(it) != 1 || it[0].Accelerator.Name != "MI300X" || it[0].Accelerator.Count != 8 || it[0].Accelerator.Spec != "amd:192GB:8" {
		t.Fatalf("got %+v", it)
	}
}

func TestParseMemorySpec(t *testing.T) {
	cases := []struct {
		in     string
		isSpec bool
		want   MemorySpec
	}{
		{"80GB+", true, MemorySpec{MemoryGB: 80, AtLeast: true, Count: 1, Text: "80GB+"}},
		{"amd:192GB:8", true, MemorySpec{Manufacturer: "AMD", MemoryGB: 192, Count: 8, Text: "amd:192GB:8"}},
		{"V100:4", false, MemorySpec{}},
		{"A100-80GB", false, MemorySpec{}},
		{"A100-80GB:8", false, MemorySpec{}},
	}
	for _, c := range cases {
		got, ok, err := ParseMemorySpec(c.in)
		if err != nil || ok != c.isSpec || got != c.want {
			t.Errorf("%s: got %+v %v %v", c.in, got, ok, err)
		}
	}
	if _, _, err := ParseAcceleratorString("80GB+"); err == nil || !strings.Contains(err.Error(), "task YAML") {
		t.Errorf("--gpus form should refuse memory specs, got %v", err)
	}
}
