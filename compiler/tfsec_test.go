package compiler

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/skyplan/skyplan/compiler/tfsectest"
)

// TestTfsecNoHighFindings scans every golden root (modules included, with
// its tfvars so dynamic blocks are evaluated): no HIGH or CRITICAL finding
// may remain; deliberate ones carry an inline #tfsec:ignore with a reason.
func TestTfsecNoHighFindings(t *testing.T) {
	bin := tfsectest.Need(t)
	cases := goldenCases()
	var names []string
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			m := writeCase(t, name, dir)
			roots := []string{dir}
			if _, ok := m.Files["buckets/"+MainFile]; ok {
				roots = append(roots, filepath.Join(dir, "buckets"))
			}
			for _, root := range roots {
				for _, r := range tfsectest.Scan(t, bin, root, VarsFile, "--minimum-severity", "HIGH", "--include-ignored") {
					if r.Failed() && r.High() {
						rel, _ := filepath.Rel(dir, r.Location.Filename)
						t.Errorf("%s %s at %s:%d", r.Severity, r.LongID, rel, r.Location.StartLine)
					}
				}
			}
		})
	}
}

// The scan must actually see findings: a module opening SSH to the world
// without an ignore has to fail it.
func TestTfsecCatchesOpenSSH(t *testing.T) {
	bin := tfsectest.Need(t)
	dir := t.TempDir()
	in := goldenCases()["gcp-gpu-spot"]
	in.SSHCIDRs = []string{"0.0.0.0/0"}
	m, ds := Compile(in)
	if ds.HasErrors() || len(ds) == 0 {
		t.Fatalf("want a warning and no error for 0.0.0.0/0, got %v", ds)
	}
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	res := tfsectest.Scan(t, bin, dir, VarsFile, "--minimum-severity", "HIGH")
	found := false
	for _, r := range res {
		if r.LongID == "google-compute-no-public-ingress" && r.Failed() {
			found = true
		}
	}
	if !found {
		t.Fatalf("tfsec did not flag SSH open to 0.0.0.0/0: %+v", res)
	}
}
