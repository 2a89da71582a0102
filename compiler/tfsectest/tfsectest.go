// Package tfsectest runs tfsec (v1.26, `go install
// github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0`) over generated
// Terraform roots for tests, and checks its findings against a checked-in
// allowlist: the one helper the compiler's cluster goldens and
// controllervm's controller roots share.
package tfsectest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Bin finds tfsec on PATH, in $GOPATH/bin or ~/go/bin; "" when absent.
func Bin() string {
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

// Need returns tfsec's path or skips the test when it is not installed.
func Need(t testing.TB) string {
	t.Helper()
	bin := Bin()
	if bin == "" {
		t.Skip("tfsec not installed (go install github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0)")
	}
	return bin
}

// Result is one tfsec finding.
type Result struct {
	LongID   string `json:"long_id"`
	Severity string `json:"severity"`
	Status   int    `json:"status"` // 0 failed, 1 passed, 2 ignored
	Location struct {
		Filename  string `json:"filename"`
		StartLine int    `json:"start_line"`
	} `json:"location"`
}

// Failed reports whether the finding stands (not passed, not ignored).
func (r Result) Failed() bool { return r.Status == 0 }

// High reports whether the finding is HIGH or CRITICAL.
func (r Result) High() bool { return r.Severity == "HIGH" || r.Severity == "CRITICAL" }

// Scan runs tfsec over root (its modules included, with root's tfvars
// file so dynamic blocks and counts are evaluated) with extra flags such
// as "--no-ignores" or "--minimum-severity", "HIGH", and returns every
// result.
func Scan(t testing.TB, bin, root, tfvars string, extra ...string) []Result {
	t.Helper()
	args := append([]string{root, "--no-color", "--no-module-downloads", "--format", "json", "--soft-fail",
		"--tfvars-file", filepath.Join(root, tfvars)}, extra...)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("tfsec %s: %v\n%s", root, err, out)
	}
	var res struct {
		Results []Result `json:"results"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("tfsec output: %v\n%s", err, out)
	}
	return res.Results
}

// Allowlist is a checked-in list of accepted tfsec --no-ignores findings,
// one "LONG_ID FILE -- reason" a line (FILE relative to the compiled
// module's directory, # comments). Check each scan's findings against it
// with Check, then call Stale once: a finding not listed fails, and so
// does an entry no scan reported, so the list shrinks with fixes.
type Allowlist struct {
	Path    string
	reasons map[string]string
	seen    map[string]bool
}

// ReadAllowlist parses path; a malformed line fails the test.
func ReadAllowlist(t testing.TB, path string) *Allowlist {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := &Allowlist{Path: path, reasons: map[string]string{}, seen: map[string]bool{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, " -- ")
		if !ok || strings.TrimSpace(reason) == "" || len(strings.Fields(key)) != 2 {
			t.Fatalf("%s:%d: want \"LONG_ID FILE -- reason\", got %q", path, n, line)
		}
		a.reasons[strings.Join(strings.Fields(key), " ")] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return a
}

// Check fails the test for every standing finding in results that the
// allowlist lacks; base is the compiled module's directory (file names
// are taken relative to it), name what was scanned (for the message).
func (a *Allowlist) Check(t testing.TB, name, base string, results []Result) {
	t.Helper()
	for _, r := range results {
		if !r.Failed() {
			continue
		}
		rel, err := filepath.Rel(base, r.Location.Filename)
		if err != nil {
			rel = r.Location.Filename
		}
		key := r.LongID + " " + filepath.ToSlash(rel)
		a.seen[key] = true
		if _, ok := a.reasons[key]; !ok {
			t.Errorf("%s: new tfsec finding %s (%s, line %d): fix it or add %q with a reason to %s", name, r.LongID, r.Severity, r.Location.StartLine, key+" -- REASON", a.Path)
		}
	}
}

// Stale fails the test for allowlist entries no Check saw, and returns
// how many distinct findings were seen.
func (a *Allowlist) Stale(t testing.TB) int {
	t.Helper()
	var stale []string
	for k := range a.reasons {
		if !a.seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("%s: entries tfsec no longer reports (remove them):\n%s", a.Path, strings.Join(stale, "\n"))
	}
	return len(a.seen)
}
