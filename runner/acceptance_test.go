package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyplan/skyplan/runner/sshdtest"
	"github.com/skyplan/skyplan/task"
)

// syncBuffer is a bytes.Buffer safe for the runner's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testSetup(t testing.TB, n int, name string) (*sshdtest.Cluster, *Cluster, *Runner, *syncBuffer) {
	t.Helper()
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	sc := sshdtest.Start(t, n)
	cl := &Cluster{Name: name, Cloud: "ssh", Region: "testpool",
		KnownHostsFile: filepath.Join(t.TempDir(), "known_hosts")}
	for i, nd := range sc.Nodes {
		cl.Nodes = append(cl.Nodes, Node{Rank: i, PrivateIP: nd.IP, Host: nd.IP, Port: nd.Port,
			User: sc.User, IdentityFile: sc.ClientKey})
	}
	buf := &syncBuffer{}
	logs := t.TempDir()
	r := &Runner{Stderr: buf, ConnectTimeout: 15 * time.Second, ReconnectWindow: 2 * time.Second,
		KeepaliveInterval: time.Second, User: "alice",
		LogsDir: func(c string, id int) string { return filepath.Join(logs, c, strings.Repeat("j", id)) }}
	return sc, cl, r, buf
}

func str(s string) *string { return &s }

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading %s: %v", p, err)
	}
	return string(b)
}

// waitFor polls cond for up to 30 s (bounded; not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestThreeNodeEnvContract(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 3, "envtest")
	vars := []string{"SKYPILOT_NODE_RANK", "SKYPILOT_NODE_IPS", "SKYPILOT_NUM_NODES", "SKYPILOT_NUM_GPUS_PER_NODE",
		"SKYPILOT_TASK_ID", "SKYPILOT_CLUSTER_INFO", "SKYPILOT_USER", "SKYPLAN_NODE_RANK", "SKYPLAN_NODE_IPS", "MY_ENV"}
	setupVars := []string{"SKYPILOT_SETUP_NODE_RANK", "SKYPILOT_SETUP_NODE_IPS", "SKYPILOT_SETUP_NUM_GPUS_PER_NODE", "SKYPLAN_SETUP_NODE_RANK"}
	tk := &task.Task{Name: "env", NumNodes: 3,
		Envs:  []task.EnvVar{{Key: "MY_ENV", Value: str(`it's "quoted" $HOME`)}},
		Setup: "for v in " + strings.Join(setupVars, " ") + `; do printf '%s' "${!v}" > ~/out.$v; done`,
		Run: "for v in " + strings.Join(vars, " ") + `; do printf '%s' "${!v}" > ~/out.$v; done
pwd > ~/out.pwd
echo "hello from $SKYPILOT_NODE_RANK"`}
	res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != JobSucceeded || res.ExitCode != 0 || res.JobID != 1 {
		t.Fatalf("result = %+v\nstderr:\n%s", res, buf)
	}
	ips := "127.0.0.2\n127.0.0.3\n127.0.0.4"
	taskID := regexp.MustCompile(`^sky-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d{6}_envtest_1$`)
	for i, nd := range sc.Nodes {
		get := func(v string) string { return readFile(t, filepath.Join(nd.Home, "out."+v)) }
		want := map[string]string{
			"SKYPILOT_NODE_RANK": itoa(i), "SKYPLAN_NODE_RANK": itoa(i), "SKYPILOT_NODE_IPS": ips, "SKYPLAN_NODE_IPS": ips,
			"SKYPILOT_NUM_NODES": "3", "SKYPILOT_NUM_GPUS_PER_NODE": "0", "SKYPILOT_USER": "alice",
			"SKYPILOT_CLUSTER_INFO":    `{"cluster_name": "envtest", "cloud": "SSH", "region": "testpool", "zone": null}`,
			"MY_ENV":                   `it's "quoted" $HOME`,
			"SKYPILOT_SETUP_NODE_RANK": itoa(i), "SKYPLAN_SETUP_NODE_RANK": itoa(i),
			"SKYPILOT_SETUP_NODE_IPS": ips, "SKYPILOT_SETUP_NUM_GPUS_PER_NODE": "0",
		}
		for k, v := range want {
			if got := get(k); got != v {
				t.Errorf("node %d: %s = %q, want %q", i, k, got, v)
			}
		}
		if id := get("SKYPILOT_TASK_ID"); !taskID.MatchString(id) {
			t.Errorf("node %d: SKYPILOT_TASK_ID = %q", i, id)
		}
		if pwd := strings.TrimSpace(get("pwd")); pwd != filepath.Join(nd.Home, "sky_workdir") {
			t.Errorf("node %d: cwd %q, want ~/sky_workdir", i, pwd)
		}
		label := Node{Rank: i, PrivateIP: nd.IP}.Label()
		if !strings.Contains(buf.String(), "("+label+") hello from "+itoa(i)+"\n") {
			t.Errorf("stderr lacks prefixed line for %s:\n%s", label, buf)
		}
		local := readFile(t, LocalLogPath(res.LogDir, Node{Rank: i}))
		if !strings.Contains(local, "hello from "+itoa(i)) {
			t.Errorf("local log of rank %d = %q", i, local)
		}
	}
	jobs, err := r.Queue(context.Background(), cl, nil)
	if err != nil || len(jobs) != 1 || jobs[0].Status != JobSucceeded || jobs[0].Name != "env" {
		t.Fatalf("queue = %+v, %v", jobs, err)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestFailingRankStopsOthers(t *testing.T) {
	_, cl, r, buf := testSetup(t, 3, "failtest")
	tk := &task.Task{NumNodes: 3, Run: `echo "rank $SKYPILOT_NODE_RANK"; if [ "$SKYPILOT_NODE_RANK" = 1 ]; then sleep 0.5; exit 3; fi; sleep 60`}
	res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != JobFailed || res.ExitCode != 3 {
		t.Fatalf("result = %+v\n%s", res, buf)
	}
	for _, want := range []string{"worker1, rank=1, ip=127.0.0.3", "return code 3", "[137, 3, 137]"} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("message %q lacks %q", res.Message, want)
		}
	}
	jobs, err := r.Queue(context.Background(), cl, nil)
	if err != nil || len(jobs) != 1 || jobs[0].Status != JobFailed {
		t.Fatalf("queue = %+v, %v", jobs, err)
	}
}

func TestSetupFailure(t *testing.T) {
	_, cl, r, buf := testSetup(t, 2, "setupfail")
	tk := &task.Task{NumNodes: 2, Setup: `[ "$SKYPILOT_SETUP_NODE_RANK" = 1 ] && exit 5; true`, Run: "echo should-not-run"}
	res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != JobFailedSetup || res.ExitCode != 5 || !strings.Contains(res.Message, "setup failed on worker1") {
		t.Fatalf("result = %+v", res)
	}
	if strings.Contains(buf.String(), "should-not-run") {
		t.Fatalf("run executed after failed setup:\n%s", buf)
	}
}

func TestWorkdirIgnoreAndSecrets(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "wdtest")
	wd := t.TempDir()
	files := map[string]string{
		"train.py": "print(1)\n", "debug.log": "x", "build/out.bin": "x", "sub/keep.log": "k", "sub/drop.tmp": "d",
		".gitignore": "*.log\nbuild/\n", "sub/.gitignore": "!keep.log\n*.tmp\n", ".git/info/exclude": "excluded.txt\n", "excluded.txt": "e",
	}
	for p, c := range files {
		full := filepath.Join(wd, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := "s3cr3t-VALUE-42"
	tk := &task.Task{NumNodes: 2, Workdir: &task.Workdir{Path: wd},
		Secrets: []task.EnvVar{{Key: "API_TOKEN", Value: str(secret)}},
		Run:     `echo "token=$API_TOKEN"; ls`}
	res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v\n%s", res, err, buf)
	}
	for i, nd := range sc.Nodes {
		w := filepath.Join(nd.Home, "sky_workdir")
		for _, p := range []string{"train.py", "sub/keep.log", ".gitignore"} {
			if _, err := os.Stat(filepath.Join(w, p)); err != nil {
				t.Errorf("node %d: %s not synced", i, p)
			}
		}
		for _, p := range []string{"debug.log", "build", "sub/drop.tmp", "excluded.txt"} {
			if _, err := os.Stat(filepath.Join(w, p)); err == nil {
				t.Errorf("node %d: ignored %s was synced", i, p)
			}
		}
		remote := readFile(t, filepath.Join(nd.Home, ".skyplan/jobs/1/log"))
		local := readFile(t, LocalLogPath(res.LogDir, Node{Rank: i}))
		for where, s := range map[string]string{"node log": remote, "local log": local} {
			if strings.Contains(s, secret) || !strings.Contains(s, "token=***") {
				t.Errorf("node %d %s not redacted: %q", i, where, s)
			}
		}
	}
	if strings.Contains(buf.String(), secret) || !strings.Contains(buf.String(), "token=***") {
		t.Errorf("stderr not redacted:\n%s", buf)
	}
}

func TestChangedHostKeyRefused(t *testing.T) {
	sc, cl, r, _ := testSetup(t, 2, "hktest")
	tk := &task.Task{NumNodes: 1, Run: "true"}
	if res, err := r.Exec(context.Background(), cl, tk, LaunchOptions{}); err != nil || res.ExitCode != 0 {
		t.Fatalf("first contact: %+v %v", res, err)
	}
	pinned := readFile(t, cl.KnownHostsFile)
	if strings.Count(pinned, "\n") != 2 {
		t.Fatalf("known_hosts should pin both nodes:\n%s", pinned)
	}
	sc.RestartWithNewHostKey(1)
	_, err := r.Exec(context.Background(), cl, tk, LaunchOptions{})
	var hk *HostKeyChangedError
	if !errors.As(err, &hk) || hk.Node.Rank != 1 || !strings.Contains(err.Error(), "worker1") {
		t.Fatalf("want host key change error naming worker1, got %v", err)
	}
	if readFile(t, cl.KnownHostsFile) != pinned {
		t.Fatal("known_hosts was modified after a key change")
	}
}

func TestDetachedQueueLogsCancel(t *testing.T) {
	sc, cl, r, _ := testSetup(t, 2, "dettest")
	ctx := context.Background()
	tk := &task.Task{Name: "sleeper", NumNodes: 2, Run: `echo "started $SKYPILOT_NODE_RANK"; sleep 120`}
	res, err := r.Launch(ctx, cl, tk, LaunchOptions{Detach: true})
	if err != nil || res.JobID != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	waitFor(t, "job 1 RUNNING", func() bool {
		j, err := r.JobStatus(ctx, cl, 1)
		return err == nil && j.Status == JobRunning
	})
	var out syncBuffer
	waitFor(t, "logs of job 1", func() bool {
		out = syncBuffer{}
		_, err := r.Logs(ctx, cl, 1, false, &out)
		return err == nil && strings.Contains(out.String(), "(worker1, rank=1, ip=127.0.0.3) started 1")
	})
	ids, err := r.Cancel(ctx, cl, []int{1}, false)
	if err != nil || len(ids) != 1 {
		t.Fatalf("cancel: %v %v", ids, err)
	}
	jobs, err := r.Queue(ctx, cl, nil)
	if err != nil || len(jobs) != 1 || jobs[0].Status != JobCancelled || jobs[0].Name != "sleeper" {
		t.Fatalf("queue after cancel = %+v %v", jobs, err)
	}
	for i, nd := range sc.Nodes {
		pid := strings.TrimSpace(readFile(t, filepath.Join(nd.Home, ".skyplan/jobs/1/pid")))
		if _, err := os.Stat("/proc/" + pid); err == nil {
			if st, _ := os.ReadFile("/proc/" + pid + "/status"); !strings.Contains(string(st), "zombie") {
				t.Errorf("node %d: job process %s still alive after cancel", i, pid)
			}
		}
	}
	// A second detached job, followed to its end.
	tk2 := &task.Task{Name: "short", NumNodes: 1, Run: "echo first; sleep 1; echo last"}
	if res, err := r.Launch(ctx, cl, tk2, LaunchOptions{Detach: true}); err != nil || res.JobID != 2 {
		t.Fatalf("%+v %v", res, err)
	}
	out = syncBuffer{}
	ji, err := r.Logs(ctx, cl, 0, true, &out)
	if err != nil || ji.ID != 2 || ji.Status != JobSucceeded || !strings.Contains(out.String(), "(head, rank=0, ip=127.0.0.2) last") {
		t.Fatalf("follow: %+v %v\n%s", ji, err, out.String())
	}
}

func TestAcceleratorJobsWaitFIFO(t *testing.T) {
	_, cl, r, _ := testSetup(t, 1, "fifotest")
	cl.Accelerators = map[string]float64{"A100": 1}
	ctx := context.Background()
	for _, name := range []string{"first", "second"} {
		if _, err := r.Launch(ctx, cl, &task.Task{Name: name, NumNodes: 1, Run: "sleep 120"}, LaunchOptions{Detach: true}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "job 1 RUNNING", func() bool {
		j, err := r.JobStatus(ctx, cl, 1)
		return err == nil && j.Status == JobRunning
	})
	if j, err := r.JobStatus(ctx, cl, 2); err != nil || j.Status != JobPending {
		t.Fatalf("job 2 = %+v %v, want PENDING behind job 1", j, err)
	}
	if _, err := r.Cancel(ctx, cl, []int{1}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "job 2 RUNNING after job 1 cancelled", func() bool {
		j, err := r.JobStatus(ctx, cl, 2)
		return err == nil && j.Status == JobRunning
	})
	if ids, err := r.Cancel(ctx, cl, nil, true); err != nil || len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("cancel -a: %v %v", ids, err)
	}
}

func TestNodeDiesMidRun(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 3, "dietest")
	tk := &task.Task{NumNodes: 3, Run: `echo "up $SKYPILOT_NODE_RANK"; sleep 120`}
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
		done <- out{res, err}
	}()
	waitFor(t, "all nodes up", func() bool {
		return strings.Contains(buf.String(), "ip=127.0.0.3) up 1") && strings.Contains(buf.String(), "ip=127.0.0.4) up 2")
	})
	sc.Kill(1)
	var o out
	select {
	case o = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("launch did not return after a node died")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	if o.res.Status != JobFailed || o.res.ExitCode == 0 ||
		!strings.Contains(o.res.Message, "worker1, rank=1, ip=127.0.0.3") || !strings.Contains(o.res.Message, "lost connection") {
		t.Fatalf("result = %+v\n%s", o.res, buf)
	}
}

func TestProxyCommandTransport(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "proxytest")
	// A stand-in for `ssh -W %h:%p jump`: bash's /dev/tcp relays the bytes,
	// so the SSH session really travels over the command's stdin/stdout.
	marker := filepath.Join(t.TempDir(), "proxied")
	cl.ProxyCommand = `touch ` + marker + `.%r; exec bash -c 'exec 3<>/dev/tcp/%h/%p; cat <&3 & cat >&3'`
	res, err := r.Exec(context.Background(), cl, &task.Task{NumNodes: 2, Run: "echo via-proxy $SKYPILOT_NODE_RANK"}, LaunchOptions{})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v\n%s", res, err, buf)
	}
	if !strings.Contains(buf.String(), "ip=127.0.0.3) via-proxy 1") {
		t.Fatalf("stderr:\n%s", buf)
	}
	if _, err := os.Stat(marker + "." + sc.User); err != nil {
		t.Fatal("proxy command was not used")
	}
}

func TestCancelAttachedJob(t *testing.T) {
	_, cl, r, buf := testSetup(t, 2, "cancelatt")
	ctx := context.Background()
	done := make(chan Result, 1)
	go func() {
		res, err := r.Launch(ctx, cl, &task.Task{NumNodes: 2, Run: "echo go; sleep 120"}, LaunchOptions{})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	waitFor(t, "job running", func() bool { return strings.Count(buf.String(), ") go\n") == 2 })
	if _, err := r.Cancel(ctx, cl, nil, true); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.Status != JobCancelled || res.ExitCode == 0 {
			t.Fatalf("attached result after cancel = %+v", res)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("attached launch did not return after cancel")
	}
	if j, err := r.JobStatus(ctx, cl, 1); err != nil || j.Status != JobCancelled {
		t.Fatalf("status = %+v %v", j, err)
	}
}

func TestReconnectAfterTransientDrop(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "droptest")
	r.ReconnectWindow = 20 * time.Second
	tk := &task.Task{NumNodes: 2, Run: `for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; sleep 0.3; done; exit $((SKYPILOT_NODE_RANK * 4))`}
	done := make(chan Result, 1)
	go func() {
		res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	waitFor(t, "worker1 tick 2", func() bool { return strings.Contains(buf.String(), "ip=127.0.0.3) tick 2\n") })
	sc.DropConnections(1)
	var res Result
	select {
	case res = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("launch did not return")
	}
	out := buf.String()
	if !strings.Contains(out, "dropped") {
		t.Errorf("no reconnect note:\n%s", out)
	}
	// Every line exactly once: the stream resumed at the right byte.
	for i := 1; i <= 8; i++ {
		if n := strings.Count(out, "ip=127.0.0.3) tick "+itoa(i)+"\n"); n != 1 {
			t.Errorf("worker1 tick %d seen %d times:\n%s", i, n, out)
		}
	}
	// The job's real exit code survived the drop.
	if res.Status != JobFailed || res.ExitCode != 4 || !strings.Contains(res.Message, "worker1") {
		t.Fatalf("result = %+v", res)
	}
}

func TestLocalFileMounts(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "fmtest")
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "dir/sub"), 0o755)
	os.WriteFile(filepath.Join(src, "dir/sub/a.txt"), []byte("A"), 0o644)
	os.WriteFile(filepath.Join(src, "one.cfg"), []byte("C"), 0o644)
	tmpDst := filepath.Join(t.TempDir(), "direct")
	mounts := []task.FileMount{
		{Dst: "data", Src: filepath.Join(src, "dir")},
		{Dst: "~/conf/app.cfg", Src: "one.cfg"},
		{Dst: tmpDst, Src: filepath.Join(src, "dir")},
	}
	if os.Geteuid() == 0 {
		// An absolute path outside ~ and /tmp goes through ~/.sky/file_mounts and a symlink.
		abs := "/var/tmp/skyplan-fm-" + filepath.Base(t.TempDir())
		t.Cleanup(func() { os.Remove(abs) })
		mounts = append(mounts, task.FileMount{Dst: abs, Src: filepath.Join(src, "one.cfg")})
		defer func() {
			if link, err := os.Readlink(abs); err != nil || !strings.HasSuffix(link, "/.sky/file_mounts"+abs) {
				t.Errorf("%s: link %q %v", abs, link, err)
			}
		}()
	}
	tk := &task.Task{NumNodes: 2, FileMounts: mounts, Run: "cat data/sub/a.txt ~/conf/app.cfg"}
	res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{BaseDir: src})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v\n%s", res, err, buf)
	}
	for i, nd := range sc.Nodes {
		if got := readFile(t, filepath.Join(nd.Home, "sky_workdir/data/sub/a.txt")); got != "A" {
			t.Errorf("node %d relative mount = %q", i, got)
		}
		if got := readFile(t, filepath.Join(nd.Home, "conf/app.cfg")); got != "C" {
			t.Errorf("node %d ~ mount = %q", i, got)
		}
	}
	if got := readFile(t, filepath.Join(tmpDst, "sub/a.txt")); got != "A" {
		t.Errorf("/tmp mount = %q", got)
	}
	if !strings.Contains(buf.String(), "ip=127.0.0.3) AC") {
		t.Errorf("run did not see the mounts:\n%s", buf)
	}
}

func TestAutostopInstalledOnHead(t *testing.T) {
	sc, cl, r, _ := testSetup(t, 2, "astest")
	tk := &task.Task{NumNodes: 1, Run: "true", Resources: task.ResourceSet{Items: []task.Resources{
		{Autostop: &task.Autostop{Enabled: true, IdleMinutes: 5, Down: true}}}}}
	if res, err := r.Launch(context.Background(), cl, tk, LaunchOptions{}); err != nil || res.ExitCode != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	head := sc.Nodes[0].Home
	script := readFile(t, filepath.Join(head, ".skyplan/autostop.sh"))
	if !strings.Contains(script, "-ge 300 ") || !strings.Contains(script, "SSH node pools are left running") {
		t.Fatalf("autostop script:\n%s", script)
	}
	pid := strings.TrimSpace(readFile(t, filepath.Join(head, ".skyplan/autostop.pid")))
	if _, err := os.Stat("/proc/" + pid); err != nil {
		t.Fatalf("autostop loop (pid %s) not running", pid)
	}
	if _, err := os.Stat(filepath.Join(sc.Nodes[1].Home, ".skyplan/autostop.sh")); err == nil {
		t.Fatal("autostop installed on a worker")
	}
}

func TestLoginShellNoiseIgnored(t *testing.T) {
	sc, cl, r, buf := testSetup(t, 2, "noisetest")
	for _, nd := range sc.Nodes {
		os.WriteFile(filepath.Join(nd.Home, ".bashrc"), []byte("echo NOISE-FROM-BASHRC\n"), 0o644)
	}
	ctx := context.Background()
	res, err := r.Launch(ctx, cl, &task.Task{NumNodes: 2, Run: "echo real-output"}, LaunchOptions{})
	if err != nil || res.ExitCode != 0 || res.JobID != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	var out syncBuffer
	if _, err := r.Logs(ctx, cl, 1, false, &out); err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"stream": buf.String(), "logs": out.String()} {
		if strings.Contains(s, "NOISE") || !strings.Contains(s, "ip=127.0.0.3) real-output") {
			t.Errorf("%s:\n%s", what, s)
		}
	}
	if jobs, err := r.Queue(ctx, cl, nil); err != nil || len(jobs) != 1 || jobs[0].Status != JobSucceeded {
		t.Fatalf("queue = %+v %v", jobs, err)
	}
}
