package provision

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Terraform's lock error (as the S3 backend prints it) names the lock;
// text without a Lock Info block names none.
func TestLockInfoOf(t *testing.T) {
	text := "Error acquiring the state lock\n" +
		"Error message: operation error S3: PutObject, https response error StatusCode: 412, PreconditionFailed\n" +
		"Lock Info:\n  ID:        5c1e0c3a-0d6b-7c0e-5b9e-b0a6a2f4e111\n  Path:      team-tfstate/skyplan/x/terraform.tfstate\n" +
		"  Operation: OperationTypeApply\n  Who:       root@vm\n  Version:   1.11.4\n  Created:   2026-12-02 14:01:02.3 +0000 UTC\n  Info:      \n"
	li, ok := lockInfoOf(text)
	if !ok || li.ID != "5c1e0c3a-0d6b-7c0e-5b9e-b0a6a2f4e111" || li.Path != "team-tfstate/skyplan/x/terraform.tfstate" ||
		li.Operation != "OperationTypeApply" || li.Who != "root@vm" || !strings.HasPrefix(li.Created, "2026-12-02 14:01:02") {
		t.Errorf("lockInfoOf = %+v, %v", li, ok)
	}
	if _, ok := lockInfoOf("Error acquiring the state lock\nno details"); ok {
		t.Error("a lock error without Lock Info must name no lock")
	}
	if w := thisWho(); !strings.Contains(w, "@") || strings.HasPrefix(w, "@") {
		t.Errorf("thisWho = %q, want user@host as Terraform writes it", w)
	}
}

// A terraform running in the cluster's directory (or in a directory of
// the same cluster name elsewhere) is seen; none in another is not.
func TestTerraformRunsIn(t *testing.T) {
	if _, err := os.Stat("/proc/self/cwd"); err != nil {
		t.Skip("no /proc")
	}
	base := t.TempDir()
	dir, other, elsewhere := base+"/a/clusters/c1", base+"/b/clusters/c1", base+"/a/clusters/c2"
	for _, d := range []string{dir, other, elsewhere} {
		os.MkdirAll(d, 0o755)
	}
	if running, ok := terraformRunsIn(dir); !ok || running {
		t.Fatalf("before: running=%v ok=%v", running, ok)
	}
	// A process whose comm is "terraform": a copy of sleep under that name.
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	fake := base + "/terraform"
	b, _ := os.ReadFile(sleep)
	os.WriteFile(fake, b, 0o755)
	for _, cwd := range []string{other, dir} {
		cmd := exec.Command(fake, "30")
		cmd.Dir = cwd
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if running, _ := terraformRunsIn(dir); !running {
			t.Errorf("terraform in %s not seen as running for %s", cwd, dir)
		}
		if running, _ := terraformRunsIn(elsewhere); running {
			t.Errorf("terraform in %s seen as running for %s", cwd, elsewhere)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}
