package compiler

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// tfsecAllowlist is every finding tfsec reports with --no-ignores on the
// golden roots, as "LONG_ID FILE" with a one-line reason.
const tfsecAllowlist = "../testdata/compiler/tfsec-allowlist.txt"

func readAllowlist(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(tfsecAllowlist)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, " -- ")
		if !ok || strings.TrimSpace(reason) == "" || len(strings.Fields(key)) != 2 {
			t.Fatalf("%s:%d: want \"LONG_ID FILE -- reason\", got %q", tfsecAllowlist, n, line)
		}
		out[strings.Join(strings.Fields(key), " ")] = strings.TrimSpace(reason)
	}
	return out
}

// TestTfsecNoIgnoresAllowlist scans every golden root with --no-ignores (the
// inline ignores do not count): every finding, any severity, must be in the
// checked-in allowlist with a reason, and every allowlist entry must still
// be found, so a new finding fails and the list shrinks with fixes.
func TestTfsecNoIgnoresAllowlist(t *testing.T) {
	bin := tfsecBin()
	if bin == "" {
		t.Skip("tfsec not installed (go install github.com/aquasecurity/tfsec/cmd/tfsec@v1.26.0)")
	}
	allow := readAllowlist(t)
	seen := map[string]bool{}
	cases := goldenCases()
	var names []string
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		dir := t.TempDir()
		m := writeCase(t, name, dir)
		roots := []string{dir}
		if _, ok := m.Files["buckets/"+MainFile]; ok {
			roots = append(roots, filepath.Join(dir, "buckets"))
		}
		for _, root := range roots {
			out, err := exec.Command(bin, root, "--no-color", "--no-module-downloads", "--format", "json",
				"--no-ignores", "--soft-fail", "--tfvars-file", filepath.Join(root, VarsFile)).Output()
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
				if r.Status != 0 {
					continue
				}
				rel, _ := filepath.Rel(dir, r.Location.Filename)
				key := r.LongID + " " + filepath.ToSlash(rel)
				seen[key] = true
				if _, ok := allow[key]; !ok {
					t.Errorf("%s: new tfsec finding %s (%s, line %d): fix it or add %q with a reason to %s", name, r.LongID, r.Severity, r.Location.StartLine, key+" -- REASON", tfsecAllowlist)
				}
			}
		}
	}
	var stale []string
	for k := range allow {
		if !seen[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("allowlist entries tfsec no longer reports (remove them):\n%s", strings.Join(stale, "\n"))
	}
	if testing.Verbose() {
		fmt.Println(len(seen), "distinct findings, all allowlisted")
	}
}
