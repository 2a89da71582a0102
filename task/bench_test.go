package task

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse parses a large real task (llm/llama-3/llama3.yaml: any_of
// over accelerators, envs, secrets, service) with catalog names.
func BenchmarkParse(b *testing.B) {
	base, _ := conformanceFilesIfPresent()
	if base == "" {
		b.Skip("../shared is absent")
	}
	data, err := os.ReadFile(filepath.Join(base, "llm", "llama-3", "llama3.yaml"))
	if err != nil {
		b.Skip(err)
	}
	opts := LoadOptions{Accelerators: catalogAccelerators(b)}
	b.ReportAllocs()
	for b.Loop() {
		pl, ds := Parse("llama3.yaml", data, opts)
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		_ = pl.ApplyOverrides(Overrides{Secrets: []string{"HF_TOKEN=x"}}, func(string) string { return "" })
	}
}
