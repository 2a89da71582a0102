package compiler

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/skyplan/skyplan/compiler/tfsectest"
)

// tfsecAllowlist is every finding tfsec reports with --no-ignores on the
// golden roots, as "LONG_ID FILE" with a one-line reason.
const tfsecAllowlist = "../testdata/compiler/tfsec-allowlist.txt"

// TestTfsecNoIgnoresAllowlist scans every golden root with --no-ignores (the
// inline ignores do not count): every finding, any severity, must be in the
// checked-in allowlist with a reason, and every allowlist entry must still
// be found, so a new finding fails and the list shrinks with fixes.
func TestTfsecNoIgnoresAllowlist(t *testing.T) {
	bin := tfsectest.Need(t)
	allow := tfsectest.ReadAllowlist(t, tfsecAllowlist)
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
			allow.Check(t, name, dir, tfsectest.Scan(t, bin, root, VarsFile, "--no-ignores"))
		}
	}
	if n := allow.Stale(t); testing.Verbose() {
		fmt.Println(n, "distinct findings, all allowlisted")
	}
}
