package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkPlanDryrunCold measures `skyplan plan --dryrun` as a new process
// (binary built once, outside the timer) on the bundled minimal example,
// which loads all three clouds' catalogs. It reports the child's peak RSS.
// Targets: ≤ 50 ms per run, ≤ 150 MB peak RSS.
func BenchmarkPlanDryrunCold(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "skyplan")
	build := exec.Command("go", "build", "-o", bin, "github.com/skyplan/skyplan/cmd/skyplan")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		b.Fatalf("building skyplan: %v", err)
	}
	home := b.TempDir()
	var peakKB int64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(bin, "plan", "--dryrun", "../examples/minimal.yaml")
		cmd.Env = append(os.Environ(), "SKYPLAN_HOME="+home)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > peakKB {
			peakKB = ru.Maxrss // kilobytes on Linux
		}
	}
	b.ReportMetric(float64(peakKB)/1024, "peak-RSS-MB")
}
