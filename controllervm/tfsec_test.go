package controllervm

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/compiler/tfsectest"
)

// tfsecAllowlist is every finding tfsec reports with --no-ignores on the
// compiled controller roots, as "LONG_ID FILE" with a one-line reason.
const tfsecAllowlist = "../testdata/controllervm/tfsec-allowlist.txt"

// writeRoots compiles the default controller into a temporary directory
// and returns it with the roots to scan (main and volume).
func writeRoots(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	if err := compileInput(t, testInput(t)).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var roots []string
	for _, r := range ApplyOrder {
		roots = append(roots, filepath.Join(dir, r))
	}
	return dir, roots
}

// TestTfsecNoHighFindings: both controller roots, modules included and
// with their tfvars, have no HIGH or CRITICAL tfsec finding, inline
// ignores counted (each names its reason in the template).
func TestTfsecNoHighFindings(t *testing.T) {
	bin := tfsectest.Need(t)
	dir, roots := writeRoots(t)
	for _, root := range roots {
		res := tfsectest.Scan(t, bin, root, compiler.VarsFile, "--minimum-severity", "HIGH", "--include-ignored")
		for _, r := range res {
			if r.Failed() && r.High() {
				rel, _ := filepath.Rel(dir, r.Location.Filename)
				t.Errorf("%s %s at %s:%d", r.Severity, r.LongID, rel, r.Location.StartLine)
			}
		}
	}
}

// TestTfsecNoIgnoresAllowlist: with --no-ignores, every finding on the
// controller roots (any severity) is in the checked-in allowlist with a
// reason, and every entry is still found.
func TestTfsecNoIgnoresAllowlist(t *testing.T) {
	bin := tfsectest.Need(t)
	allow := tfsectest.ReadAllowlist(t, tfsecAllowlist)
	dir, roots := writeRoots(t)
	for _, root := range roots {
		allow.Check(t, filepath.Base(root), dir, tfsectest.Scan(t, bin, root, compiler.VarsFile, "--no-ignores"))
	}
	if n := allow.Stale(t); testing.Verbose() {
		fmt.Println(n, "distinct findings, all allowlisted")
	}
}

// TestTfsecCatchesOpenSSH: the scan sees the controller module's
// exposures: SSH open to the world (a compile warning, no error) is a
// standing CRITICAL finding, so the two tests above can fail.
func TestTfsecCatchesOpenSSH(t *testing.T) {
	bin := tfsectest.Need(t)
	in := testInput(t)
	in.SSHCIDRs = []string{"0.0.0.0/0"}
	in.ServeAllowedCIDRs = []string{"203.0.113.0/24"} // unset, they would take the /0 and compile refuses
	dir := t.TempDir()
	if err := compileInput(t, in).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	res := tfsectest.Scan(t, bin, dir, compiler.VarsFile, "--minimum-severity", "HIGH")
	for _, r := range res {
		if r.LongID == "aws-vpc-no-public-ingress-sgr" && r.Failed() && r.High() {
			return
		}
	}
	t.Fatalf("tfsec did not flag SSH open to 0.0.0.0/0: %+v", res)
}
