package provision

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// A fallback loop runs terraform once per zone it tries, and each run
// starts the cloud's provider: for AWS a 700 MB binary whose start and
// schema took 3.5 s of a 4.5 s failed-zone apply (moto, 2 shared cores).
// Once the loop fails over, skyplan starts that provider itself in
// Terraform's debug mode (`-debug`: it serves until stopped and prints a
// TF_REATTACH_PROVIDERS value), and the loop's later plan, apply and
// destroy runs of the cluster directory attach to that one process.
//
// Safety:
//   - Only this process's foreground runs use it, one at a time (the loop
//     is sequential); background destroys of retired attempts, sweeps and
//     the persistent-buckets root start their own providers, so two runs
//     never configure one provider process at once.
//   - A root that declares provider aliases gets no daemon: Terraform
//     would configure every alias on the same process, and the last
//     configuration would win for all of them.
//   - The daemon dies with skyplan (Pdeathsig SIGKILL), as the terraform
//     children do (terraform-exec sets the same), so a kill -9 leaves
//     nothing running; it has its own process group, so a Ctrl-C on the
//     terminal reaches it only through Terraform's own stop request.
//   - AWS_CA_BUNDLE disables it: the AWS provider cannot be configured a
//     second time with a CA bundle ("unable to add custom RootCAs
//     HTTPClient"), so each run keeps its own provider then.

// reattachable are the providers known to serve several terraform runs,
// one after the other, from one debug-mode process.
var reattachable = map[string]bool{"registry.terraform.io/hashicorp/aws": true}

// daemonStartTimeout bounds the wait for a provider to print its reattach
// address; past it the loop's runs start their own providers.
const daemonStartTimeout = 2 * time.Minute

var reattachLineRe = regexp.MustCompile(`TF_REATTACH_PROVIDERS='(\{.*\})'`)

// providerDaemon is one provider binary serving in debug mode.
type providerDaemon struct {
	addr, bin string
	cmd       *exec.Cmd
	info      tfexec.ReattachConfig
	exited    chan struct{}
}

// providerSet holds the daemons of one launch.
type providerSet struct {
	tc      *Toolchain
	daemons map[string]*providerDaemon // by provider address
	failed  map[string]bool            // binaries that did not start: not retried
}

// reattach returns the reattach info for dir's reattachable providers,
// starting (or restarting, after an init changed a binary) their daemons.
// It returns nil when none can be used; a daemon that fails to start is
// not an error, the runs just start their own providers.
func (s *providerSet) reattach(ctx context.Context, dir string) tfexec.ReattachInfo {
	if s.tc.Env["AWS_CA_BUNDLE"] != "" {
		return nil
	}
	if aliased, err := declaresProviderAlias(dir); err != nil || aliased {
		return nil
	}
	if s.daemons == nil {
		s.daemons, s.failed = map[string]*providerDaemon{}, map[string]bool{}
	}
	info := tfexec.ReattachInfo{}
	for addr, bin := range providerBinaries(dir) {
		d := s.daemons[addr]
		if d != nil && (d.bin != bin || d.dead()) {
			d.stop()
			delete(s.daemons, addr)
			d = nil
		}
		if d == nil && !s.failed[bin] {
			var err error
			if d, err = startProviderDaemon(ctx, s.tc, dir, addr, bin); err != nil {
				s.failed[bin] = true
				continue
			}
			s.daemons[addr] = d
		}
		if d != nil {
			info[addr] = d.info
		}
	}
	if len(info) == 0 {
		return nil
	}
	return info
}

// stop ends every daemon (no terraform run may be using them).
func (s *providerSet) stop() {
	for addr, d := range s.daemons {
		d.stop()
		delete(s.daemons, addr)
	}
}

// providerBinaries maps each reattachable provider that dir's init
// installed to its binary; a provider installed in more than one version
// or for no matching platform is left out.
func providerBinaries(dir string) map[string]string {
	out := map[string]string{}
	for addr := range reattachable {
		pattern := filepath.Join(dir, ".terraform", "providers", filepath.FromSlash(addr), "*",
			runtime.GOOS+"_"+runtime.GOARCH, "terraform-provider-"+filepath.Base(addr)+"_*")
		m, _ := filepath.Glob(pattern)
		if len(m) == 1 {
			out[addr] = m[0]
		}
	}
	return out
}

var aliasRe = regexp.MustCompile(`(?m)^\s*(alias|configuration_aliases)\s*=`)

// declaresProviderAlias reports whether any .tf file of dir's root or of
// the local modules under it declares a provider alias.
func declaresProviderAlias(dir string) (bool, error) {
	skip := map[string]bool{".terraform": true, RetiredDir: true, SweepDir: true, BucketsDir: true}
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".tf") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if aliasRe.Match(b) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found, err
}

// startProviderDaemon runs bin -debug in dir with the toolchain's
// environment and waits for its reattach address.
func startProviderDaemon(ctx context.Context, tc *Toolchain, dir, addr, bin string) (*providerDaemon, error) {
	cmd := exec.Command(bin, "-debug")
	cmd.Dir = dir
	for k, v := range tc.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &providerDaemon{addr: addr, bin: bin, cmd: cmd, exited: make(chan struct{})}
	found := make(chan tfexec.ReattachConfig, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		sent := false
		for sc.Scan() {
			if sent {
				continue // keep draining: a full pipe would block the provider
			}
			if m := reattachLineRe.FindStringSubmatch(sc.Text()); m != nil {
				var info tfexec.ReattachInfo
				if json.Unmarshal([]byte(m[1]), &info) == nil {
					if c, ok := info[addr]; ok {
						found <- c
						sent = true
					}
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	t := time.NewTimer(daemonStartTimeout)
	defer t.Stop()
	select {
	case d.info = <-found:
		return d, nil
	case <-d.exited:
		return nil, fmt.Errorf("%s -debug exited before it served", bin)
	case <-t.C:
		err = fmt.Errorf("%s -debug printed no reattach address in %s", bin, daemonStartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	d.stop()
	return nil, err
}

func (d *providerDaemon) dead() bool {
	select {
	case <-d.exited:
		return true
	default:
		return false
	}
}

// stop asks the provider to end (SIGINT: it removes its socket) and kills
// it if it has not within a few seconds.
func (d *providerDaemon) stop() {
	if d.dead() {
		return
	}
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}
