package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// fakeProvider is the test binary as a provider started with -debug: it
// prints the reattach line the real SDKs print, then serves until
// interrupted (FAKE_PROVIDER=exit: a binary that does not serve).
func fakeProvider() int {
	if os.Getenv("FAKE_PROVIDER") == "exit" {
		fmt.Fprintln(os.Stderr, "This binary is a plugin.")
		return 1
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	info := tfexec.ReattachInfo{"registry.terraform.io/hashicorp/aws": {Protocol: "grpc", ProtocolVersion: 5, Pid: os.Getpid(), Test: true,
		Addr: tfexec.ReattachConfigAddr{Network: "unix", String: "/tmp/plugin-fake"}}}
	b, _ := json.Marshal(info)
	fmt.Printf("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='%s'\n", b)
	<-sig
	return 0
}

// installFakeProvider puts the test binary where init installs the AWS
// provider in dir, and makes it act as one.
func installFakeProvider(t *testing.T, tc *Toolchain, dir, mode string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pd := filepath.Join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws", "5.100.0", runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(pd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(pd, "terraform-provider-aws_v5.100.0_x5")); err != nil {
		t.Fatal(err)
	}
	tc.Env["FAKE_PROVIDER"] = mode
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func reattachPid(t *testing.T, env string) int {
	t.Helper()
	var info tfexec.ReattachInfo
	if err := json.Unmarshal([]byte(env), &info); err != nil {
		t.Fatalf("TF_REATTACH_PROVIDERS %q: %v", env, err)
	}
	return info["registry.terraform.io/hashicorp/aws"].Pid
}

// Once the loop fails over, its runs in the cluster directory attach to
// one provider process it started; the first attempt and the background
// destroy of the retired one start their own; the process ends with
// Launch.
func TestFailoverAttemptsShareOneProvider(t *testing.T) {
	three := append(twoRegions(), twoRegions()[1])
	three[1].Zone, three[2].Zone = "us-east-2a", "us-east-2b"
	e := newRetireEnv(t, map[string]string{"us-east-1a": ice("us-east-1a"), "us-east-2a": ice("us-east-2a")}, nil)
	installFakeProvider(t, e.tc, e.dir, "serve")
	l := e.launcher(t, three)
	out, err := l.Launch(context.Background())
	if err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if out.Placement.Zone != "us-east-2b" {
		t.Fatalf("landed in %+v", out.Placement)
	}
	if err := l.WaitRetired(context.Background()); err != nil {
		t.Fatal(err)
	}
	var applies []fakeCall
	pid := 0
	for _, c := range readCalls(t, e.logPath) {
		r := c.Env["TF_REATTACH_PROVIDERS"]
		switch {
		case strings.Contains(c.Dir, "/"+RetiredDir+"/"):
			if r != "" {
				t.Errorf("background %s attached to the loop's provider", c.Args[0])
			}
		case c.Args[0] == "apply":
			applies = append(applies, c)
		}
	}
	if len(applies) != 3 {
		t.Fatalf("applies: %+v", applies)
	}
	if applies[0].Env["TF_REATTACH_PROVIDERS"] != "" {
		t.Errorf("the first attempt attached to a provider daemon")
	}
	for _, a := range applies[1:] {
		p := reattachPid(t, a.Env["TF_REATTACH_PROVIDERS"])
		if p == 0 || (pid != 0 && p != pid) {
			t.Fatalf("attempts after the first attach to pid %d, want one process (%d)", p, pid)
		}
		pid = p
	}
	if alive(pid) {
		t.Errorf("provider daemon %d still runs after Launch returned", pid)
	}
	if l.WS.reattach != nil {
		t.Errorf("the workspace keeps reattach info after Launch")
	}
}

// No daemon when it would be shared by several provider configurations
// (aliases), with a CA bundle (the AWS provider cannot be configured twice
// with one), or when the binary does not serve: the runs start their own.
func TestProviderDaemonRefused(t *testing.T) {
	for _, tt := range []struct {
		name, mode, tf string
		env            map[string]string
	}{
		{name: "alias", mode: "serve", tf: "provider \"aws\" {\n  alias  = \"east\"\n  region = \"us-east-1\"\n}\n"},
		{name: "module configuration_aliases", mode: "serve", tf: "module/x.tf=terraform {\n  required_providers {\n    aws = {\n      configuration_aliases = [aws.b]\n    }\n  }\n}\n"},
		{name: "ca bundle", mode: "serve", env: map[string]string{"AWS_CA_BUNDLE": "/etc/ssl/corp.pem"}},
		{name: "does not serve", mode: "exit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tc, _ := fakeToolchain(t, nil)
			for k, v := range tt.env {
				tc.Env[k] = v
			}
			dir := t.TempDir()
			installFakeProvider(t, tc, dir, tt.mode)
			name, body := "main.tf", tt.tf
			if n, b, ok := strings.Cut(tt.tf, "="); ok && strings.HasSuffix(n, ".tf") {
				name, body = n, b
			}
			os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
			os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
			s := &providerSet{tc: tc}
			defer s.stop()
			if info := s.reattach(context.Background(), dir); info != nil {
				t.Fatalf("reattach info %v", info)
			}
		})
	}
}

// A daemon that died is replaced; one whose binary changed (a new init)
// is stopped and replaced; alias lines in the sweep root do not count.
func TestProviderDaemonReplaced(t *testing.T) {
	tc, _ := fakeToolchain(t, nil)
	dir := t.TempDir()
	installFakeProvider(t, tc, dir, "serve")
	os.MkdirAll(filepath.Join(dir, SweepDir), 0o755)
	os.WriteFile(filepath.Join(dir, SweepDir, "main.tf"), []byte("provider \"aws\" {\n  alias = \"r0\"\n}\n"), 0o644)
	s := &providerSet{tc: tc}
	defer s.stop()
	pidOf := func() int {
		info := s.reattach(context.Background(), dir)
		if info == nil {
			t.Fatal("no reattach info")
		}
		return info["registry.terraform.io/hashicorp/aws"].Pid
	}
	first := pidOf()
	if again := pidOf(); again != first {
		t.Fatalf("second run got pid %d, want the running %d", again, first)
	}
	syscall.Kill(first, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for alive(first) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	second := pidOf()
	if second == first || !alive(second) {
		t.Fatalf("after the daemon died: pid %d (was %d)", second, first)
	}
	// A new provider version (init ran again): the old daemon stops.
	old := filepath.Join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws")
	os.Rename(filepath.Join(old, "5.100.0"), filepath.Join(old, "5.101.0"))
	third := pidOf()
	if third == second || alive(second) {
		t.Fatalf("after a new binary: pid %d, old %d alive %v", third, second, alive(second))
	}
}
