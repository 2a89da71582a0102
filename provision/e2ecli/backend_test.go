package e2ecli

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// s3Backend is the config of a team S3 backend (use_lockfile, no
// DynamoDB) in moto's bucket.
func s3Backend(bucket string) string {
	return "ssh_cidrs: [\"203.0.113.7/32\"]\nbackend:\n  type: s3\n  config:\n    bucket: " + bucket + "\n    region: us-east-1\n" +
		"    use_path_style: \"true\"\n    skip_credentials_validation: \"true\"\n    skip_requesting_account_id: \"true\"\n"
}

func hasLockFile(keys []string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { return strings.HasSuffix(k, ".tflock") })
}

// Team/CI: with an S3 backend (use_lockfile) the cluster's state lives in
// the bucket, and a second apply of the same cluster from another machine
// (another SKYPLAN_HOME, so skyplan's local lock cannot see it) is refused
// by Terraform's state lock with a clear message.
func TestRemoteStateS3LockRefusesSecondMachine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.moto.CreateBucket(t, "team-tfstate")
	cfg := s3Backend("team-tfstate")
	os.WriteFile(filepath.Join(e.home, "config.yaml"), []byte(cfg), 0o644)
	// A second "machine": its own skyplan home with the same config.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "config.yaml"), []byte(cfg), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c1, out1, err1 := e.start(ctx, "apply", "task.yaml", "-c", "team", "-y", "--provision-only")
	// Start the second once the first holds the lock file in the bucket.
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && !hasLockFile(e.moto.Keys(t, "team-tfstate")) {
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

// kill -9 of an apply whose state is in S3 (use_lockfile) leaves the
// .tflock object in the bucket; the next command on this machine sees
// that no terraform runs for the cluster any more, clears the lock with a
// message, and `down` then removes everything tagged.
func TestS3StaleLockOfKilledApplyCleared(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.moto.CreateBucket(t, "team-tfstate")
	os.WriteFile(filepath.Join(e.home, "config.yaml"), []byte(s3Backend("team-tfstate")), 0o644)
	os.WriteFile(filepath.Join(e.work, "leak.yaml"), []byte(leakTask), 0o644)
	e.interruptedApply(t, "s3lock", regexp.MustCompile(`aws_instance\.node\[0\]: Creating\.\.\.`), syscall.SIGKILL)
	if !hasLockFile(e.moto.Keys(t, "team-tfstate")) {
		t.Fatalf("no .tflock in the bucket after kill -9: %v (the test checks nothing)", e.moto.Keys(t, "team-tfstate"))
	}
	d := e.run("down", "s3lock", "-y")
	if d.code != 0 {
		t.Fatalf("down exit %d", d.code)
	}
	if !strings.Contains(d.stderr, "Cleared a stale Terraform state lock on team-tfstate/skyplan/s3lock/terraform.tfstate") ||
		!strings.Contains(d.stderr, "no terraform of this machine runs for s3lock") {
		t.Errorf("down does not say it cleared the stale lock:\n%s", d.stderr)
	}
	if keys := e.moto.Keys(t, "team-tfstate"); hasLockFile(keys) {
		t.Errorf("lock still in the bucket: %v", keys)
	}
	e.requireNothingTagged(t, "s3lock")
}
