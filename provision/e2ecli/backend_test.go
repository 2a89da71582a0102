package e2ecli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Team/CI: with an S3 backend (use_lockfile) the cluster's state lives in
// the bucket, and a second apply of the same cluster from another machine
// (another SKYPLAN_HOME, so skyplan's local lock cannot see it) is refused
// by Terraform's state lock with a clear message.
func TestRemoteStateS3LockRefusesSecondMachine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.moto.CreateBucket(t, "team-tfstate")
	cfg := "ssh_cidrs: [\"203.0.113.7/32\"]\nbackend:\n  type: s3\n  config:\n    bucket: team-tfstate\n    region: us-east-1\n" +
		"    use_path_style: \"true\"\n    skip_credentials_validation: \"true\"\n    skip_requesting_account_id: \"true\"\n"
	os.WriteFile(filepath.Join(e.home, "config.yaml"), []byte(cfg), 0o644)
	// A second "machine": its own skyplan home with the same config.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "config.yaml"), []byte(cfg), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c1, out1, err1 := e.start(ctx, "apply", "task.yaml", "-c", "team", "-y", "--provision-only")
	// Start the second once the first holds the lock file in the bucket.
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && !slices.ContainsFunc(e.moto.Keys(t, "team-tfstate"), func(k string) bool { return strings.HasSuffix(k, ".tflock") }) {
		time.Sleep(200 * time.Millisecond)
	}
	saved := e.vars
	e.vars = append(append([]string{}, saved...), "SKYPLAN_HOME="+other, "HOME="+other)
	r2 := e.run("apply", "task.yaml", "-c", "team", "-y", "--provision-only")
	e.vars = saved
	_ = c1.Wait()
	t.Logf("first apply: exit %d\n%s\n%s", c1.ProcessState.ExitCode(), out1, err1)
	if c1.ProcessState.ExitCode() != 0 {
		t.Fatalf("first apply failed")
	}
	if r2.code != 1 || !strings.Contains(r2.stderr, "state is locked") {
		t.Errorf("second machine's apply: exit %d, want a state-lock refusal", r2.code)
	}
	keys := e.moto.Keys(t, "team-tfstate")
	if !slices.Contains(keys, "skyplan/team/terraform.tfstate") {
		t.Errorf("state not in the bucket: %v", keys)
	}
	if got := e.live(); len(got) != 1 {
		t.Errorf("live: %v", got)
	}
	if r := e.run("down", "-y", "team"); r.code != 0 {
		t.Fatalf("down: exit %d", r.code)
	}
	if got := e.live(); len(got) != 0 {
		t.Errorf("left after down: %v", got)
	}
}
