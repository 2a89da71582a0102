package compiler

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// tfsecBin finds tfsec (go install github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0).
func tfsecBin() string {
	if p, err := exec.LookPath("tfsec"); err == nil {
		return p
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		if _, err := os.Stat(filepath.Join(gp, "bin", "tfsec")); err == nil {
			return filepath.Join(gp, "bin", "tfsec")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		p := filepath.Join(home, "go", "bin", "tfsec")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

type tfsecResult struct {
	LongID   string `json:"long_id"`
	Severity string `json:"severity"`
	Status   int    `json:"status"` // 0 failed, 1 passed, 2 ignored
	Location struct {
		Filename  string `json:"filename"`
		StartLine int    `json:"start_line"`
	} `json:"location"`
}

// TestTfsecNoHighFindings scans every golden root (modules included, with
// its tfvars so dynamic blocks are evaluated): no HIGH or CRITICAL finding
// may remain; deliberate ones carry an inline #tfsec:ignore with a reason.
func TestTfsecNoHighFindings(t *testing.T) {
	bin := tfsecBin()
	if bin == "" {
		t.Skip("tfsec not installed (go install github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0)")
	}
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
				cmd := exec.Command(bin, root, "--no-color", "--no-module-downloads", "--format", "json",
					"--minimum-severity", "HIGH", "--include-ignored", "--soft-fail",
					"--tfvars-file", filepath.Join(root, VarsFile))
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("tfsec %s: %v\n%s", root, err, out)
				}
				var res struct {
					Results []tfsecResult `json:"results"`
				}
				if err := json.Unmarshal(out, &res); err != nil {
					t.Fatalf("tfsec output: %v\n%s", err, out)
				}
				for _, r := range res.Results {
					if r.Status == 0 && (r.Severity == "HIGH" || r.Severity == "CRITICAL") {
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
	bin := tfsecBin()
	if bin == "" {
		t.Skip("tfsec not installed")
	}
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
	out, _ := exec.Command(bin, dir, "--no-color", "--format", "json", "--minimum-severity", "HIGH", "--soft-fail",
		"--tfvars-file", filepath.Join(dir, VarsFile)).Output()
	var res struct {
		Results []tfsecResult `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("tfsec output: %v\n%s", err, out)
	}
	found := false
	for _, r := range res.Results {
		if r.LongID == "google-compute-no-public-ingress" && r.Status == 0 {
			found = true
		}
	}
	if !found {
		t.Fatalf("tfsec did not flag SSH open to 0.0.0.0/0: %+v", res.Results)
	}
}
