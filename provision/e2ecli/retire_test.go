package e2ecli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// retireTask is leakTask pinned to one zone, so a capacity error there
// leaves the region at once and its attempt is destroyed in the background.
var retireTask = strings.Replace(leakTask, "infra: aws/us-east-1\n", "infra: aws/us-east-1/us-east-1a\n", 1)

// killDuringBackgroundDestroy runs an apply whose only zone refuses the
// instance and kill -9s skyplan, terraform and the provider while the
// failed attempt's background destroy runs; it returns the apply's stderr.
func (e *env) killDuringBackgroundDestroy(t *testing.T, name string) string {
	t.Helper()
	os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(retireTask), 0o644)
	out := e.interruptedApplyAfter(t, name, regexp.MustCompile(`created, in the background …`), 1500*time.Millisecond, syscall.SIGKILL)
	ents, _ := os.ReadDir(filepath.Join(e.home, "clusters", name, "retired"))
	if len(ents) != 1 {
		t.Fatalf("want the failed attempt's workspace under clusters/%s/retired, got %v", name, ents)
	}
	if left := e.moto.Tagged(t, "us-east-1", name); len(left) == 0 {
		t.Fatalf("the kill came after the background destroy ended: nothing tagged %s is left to finish", name)
	}
	return out
}

// kill -9 while a failed attempt is destroyed in the background: its row
// in state.db keeps the cluster known, and `down` finishes the destroy
// (and sweeps its region) before it declares the cluster gone.
func TestKilledBackgroundDestroyThenDownLeavesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.proxy.Fail(e.moto.ZoneFor(t, "us-east-1", "us-east-1a"), provisiontest.InsufficientInstanceCapacity, -1)
	e.killDuringBackgroundDestroy(t, "retdown")
	if st := e.run("status"); !strings.Contains(st.stdout, "retdown") {
		t.Errorf("status after the kill does not list the cluster:\n%s", st.stdout)
	}
	d := e.run("down", "retdown", "-y")
	if d.code != 0 {
		t.Fatalf("down exit %d\n%s", d.code, d.stderr)
	}
	if !strings.Contains(d.stderr, "Destroying what the failed attempt of retdown in AWS (us-east-1a) created") {
		t.Errorf("down does not say it finished the failed attempt:\n%s", d.stderr)
	}
	e.requireNothingTagged(t, "retdown")
	if _, err := os.Stat(filepath.Join(e.home, "clusters", "retdown")); err == nil {
		t.Errorf("clusters/retdown still exists after down")
	}
}

// kill -9 while a failed attempt is destroyed in the background, then the
// same apply again (the zone has capacity now): the rerun finishes the
// old destroy before it applies in that region, and comes UP with only
// its own resources.
func TestKilledBackgroundDestroyThenRerunComesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.proxy.Fail(e.moto.ZoneFor(t, "us-east-1", "us-east-1a"), provisiontest.InsufficientInstanceCapacity, -1)
	e.killDuringBackgroundDestroy(t, "retrerun")
	e.proxy.Fail(e.moto.ZoneFor(t, "us-east-1", "us-east-1a"), provisiontest.InsufficientInstanceCapacity, 0) // capacity is back
	r := e.run("apply", "leak.yaml", "-c", "retrerun", "-y", "--provision-only")
	if r.code != 0 {
		t.Fatalf("rerun exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"Finishing the destroy of an earlier failed attempt of retrerun in AWS (us-east-1a)", "is UP"} {
		if !strings.Contains(r.stderr+r.stdout, want) {
			t.Errorf("rerun output lacks %q:\n%s", want, r.stderr)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(e.home, "clusters", "retrerun", "retired")); len(ents) != 0 {
		t.Errorf("retired workspaces left after the rerun: %v", ents)
	}
	if got := e.moto.Live(t, "us-east-1"); got != 1 {
		t.Errorf("%d live instances after the rerun, want 1", got)
	}
	if d := e.run("down", "retrerun", "-y"); d.code != 0 {
		t.Fatalf("down exit %d\n%s", d.code, d.stderr)
	}
	e.requireNothingTagged(t, "retrerun")
}
