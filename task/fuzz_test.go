package task

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: the loader never panics, and every error it reports on
// non-empty input is located in the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "name: a\n", "resources: {accelerators: {A100:1, V100:1}}\n",
		"resources:\n  any_of:\n    - infra: aws\n", "---\nname: p\n---\nrun: x\n", "a: &x [*x]\n",
		"service:\n  readiness_probe: {path: /h, post_data: '{}', headers: {A: b}}\n  replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: {H100: 1}}\n  tls: {keyfile: k, certfile: c}\n"} {
		f.Add([]byte(s))
	}
	if base, files := conformanceFilesIfPresent(); base != "" {
		for _, rel := range files {
			if data, err := os.ReadFile(filepath.Join(base, rel)); err == nil {
				f.Add(data)
			}
		}
	}
	if fixtures, _ := filepath.Glob(filepath.Join("..", "testdata", "tasks", "*.yaml")); fixtures != nil {
		for _, p := range fixtures {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pl, ds := Parse("fuzz.yaml", data, LoadOptions{Accelerators: testAccelerators})
		for _, d := range ds {
			if d.Subject == nil || d.Subject.Filename != "fuzz.yaml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
		if pl != nil && !ds.HasErrors() {
			_ = pl.ApplyOverrides(Overrides{GPUs: "V100:2", Ports: []string{"80"}}, func(string) string { return "" })
			_ = pl.String()
			for _, tk := range pl.Tasks {
				if tk.Service != nil {
					_ = tk.Service.Summary()
					_ = tk.ValidateService()
				}
			}
		}
	})
}

// conformanceFilesIfPresent is conformanceFiles without a testing.T.
func conformanceFilesIfPresent() (string, []string) {
	shared := findShared()
	if shared == "" {
		return "", nil
	}
	base := filepath.Join(shared, "conformance", "skypilot-examples")
	data, err := os.ReadFile(filepath.Join(base, "MANIFEST.tsv"))
	if err != nil {
		return "", nil
	}
	var files []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			files = append(files, strings.SplitN(line, "\t", 2)[0])
		}
	}
	return base, files
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"256", "256GB", "1TB", "0.5", "1e9", "", "999999999999999999PB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if gb, err := ParseSizeGB(s); err == nil && gb < 0 {
			t.Fatalf("negative size %v for %q", gb, s)
		}
		if n, err := ParseDiskSize(s); err == nil && n <= 0 {
			t.Fatalf("disk size %d accepted for %q", n, s)
		}
		_, _ = ParseMemory(s)
		_, _ = ParseCPUs(s)
	})
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"8080", "10052-10100", "1-65535", "0", "-", "5-3", "99999999999999999999"} {
		f.Add(s, "22")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		rs, err := ParsePorts([]string{a, b})
		if err != nil {
			return
		}
		for i, r := range rs {
			if r.From < 1 || r.To > 65535 || r.From > r.To || (i > 0 && rs[i-1].To+1 >= r.From) {
				t.Fatalf("bad ranges %v from %q %q", rs, a, b)
			}
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10", "10h", "2d", "1w", "5m", "", "h", "999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseDuration(s); err == nil && m < 0 {
			t.Fatalf("negative minutes %d for %q", m, s)
		}
	})
}
