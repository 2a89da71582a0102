package task

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceService: every corpus YAML with a service: section either
// yields a service spec that passes the serve-up checks (its summary is
// golden) or is refused with a located reason.
func TestConformanceService(t *testing.T) {
	base, files := conformanceFiles(t)
	opts := LoadOptions{Accelerators: catalogAccelerators(t)}
	var b strings.Builder
	n := 0
	for _, rel := range files {
		path := filepath.Join(base, rel)
		pl, ds := Load(path, opts)
		if pl == nil || len(pl.Tasks) == 0 {
			continue
		}
		hasService := false
		for _, tk := range pl.Tasks {
			hasService = hasService || tk.raw.service != nil
		}
		if !hasService {
			if strings.Contains(outcome(ds), "[service") {
				fmt.Fprintf(&b, "%s\t%s\n", rel, outcome(ds))
			}
			continue
		}
		n++
		if !ds.HasErrors() {
			// Null envs/secrets: supplied as a user would with --env.
			env := func(string) string { return "x" }
			var o Overrides
			for _, d := range pl.ApplyOverrides(Overrides{}, func(string) string { return "" }) {
				if k, ok := strings.CutPrefix(d.Field, "envs."); ok {
					o.Envs = append(o.Envs, k+"=x")
				} else if k, ok := strings.CutPrefix(d.Field, "secrets."); ok {
					o.Secrets = append(o.Secrets, k+"=x")
				}
			}
			pl, ds = Load(path, opts)
			ds = append(ds, pl.ApplyOverrides(o, env)...)
		}
		for _, tk := range pl.Tasks {
			if !ds.HasErrors() && tk.Service != nil {
				ds = append(ds, tk.ValidateService()...)
			}
		}
		for _, d := range ds {
			if d.Severity == "error" && (d.Subject == nil || d.Subject.Start.Line == 0) {
				t.Errorf("%s: error without a line: %v", rel, d)
			}
		}
		res := outcome(ds)
		if res == "ok" {
			var sums []string
			for _, tk := range pl.Tasks {
				if tk.Service != nil {
					p, _ := tk.ServicePort()
					sums = append(sums, fmt.Sprintf("%s; replica port %d", tk.Service.Summary(), p))
				}
			}
			res = "ok " + strings.Join(sums, " | ")
		}
		fmt.Fprintf(&b, "%s\t%s\n", rel, res)
	}
	if n < 40 {
		t.Errorf("only %d corpus files with a service section; MANIFEST lists more", n)
	}
	checkGolden(t, "service.golden", b.String(), "TestConformanceService", "service outcomes")
}
