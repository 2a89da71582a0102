package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/task"
)

func TestMakeTaskScriptGolden(t *testing.T) {
	env := []EnvVar{{"A", "plain"}, {"B", "it's $HOME"}, {"C", ""}, {"D", "a\nb"}}
	got := MakeTaskScript("set -e\necho hi", env, false)
	golden := filepath.Join("..", "testdata", "runner", "run_script.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("script:\n%s\nwant:\n%s", got, want)
	}
	setup := MakeTaskScript("pip install x", nil, true)
	if !strings.Contains(setup, "unset CUDA_VISIBLE_DEVICES\n") || strings.Contains(setup, "set -e") {
		t.Fatalf("setup script:\n%s", setup)
	}
	if strings.Contains(MakeTaskScript("echo", nil, false), "set -e") {
		t.Fatal("set -e added although the user did not write it")
	}
}

func TestShellQuoteMatchesShlex(t *testing.T) {
	for in, want := range map[string]string{
		"":             "''",
		"abc":          "abc",
		"a b":          "'a b'",
		"it's":         `'it'"'"'s'`,
		"$HOME":        "'$HOME'",
		"a/b.c:d=e,f@": "a/b.c:d=e,f@",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEnvFormatting(t *testing.T) {
	if got := ClusterInfoJSON("my-cluster-name", "gcp", "us-central1", "us-central1-a"); got !=
		`{"cluster_name": "my-cluster-name", "cloud": "GCP", "region": "us-central1", "zone": "us-central1-a"}` {
		t.Errorf("cluster info = %s", got)
	}
	if got := ClusterInfoJSON("c<1>", "azure", "eastus", ""); got != `{"cluster_name": "c<1>", "cloud": "Azure", "region": "eastus", "zone": null}` {
		t.Errorf("cluster info = %s", got)
	}
	if got := ClusterInfoJSON("é", "aws", "r", "z"); !strings.Contains(got, `"\u00e9"`) {
		t.Errorf("non-ASCII not escaped as Python: %s", got)
	}
	ts := time.Date(2026, 11, 25, 3, 4, 5, 123456789, time.UTC)
	if got := TaskID(ts, "c1", 7); got != "sky-2026-11-25-03-04-05-123456_c1_7" {
		t.Errorf("task id = %s", got)
	}
	cl := &Cluster{Name: "c1", Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a",
		Nodes: []Node{{Rank: 0, PrivateIP: "10.0.0.1"}, {Rank: 1, PrivateIP: "10.0.0.2"}, {Rank: 2, PrivateIP: "10.0.0.3"}}}
	v := "x"
	e := JobEnv{Cluster: cl, JobID: 7, TaskID: "tid", User: "u", NumNodes: 2,
		Accelerators: map[string]float64{"A100": 0.5}, Envs: []task.EnvVar{{Key: "E", Value: &v}}}
	m := map[string]string{}
	for _, kv := range e.RunEnv(1) {
		m[kv.Key] = kv.Value
	}
	for k, want := range map[string]string{"E": "x", "SKYPILOT_NODE_RANK": "1", "SKYPILOT_NODE_IPS": "10.0.0.1\n10.0.0.2",
		"SKYPILOT_NUM_NODES": "2", "SKYPILOT_NUM_GPUS_PER_NODE": "1", "SKYPLAN_NUM_GPUS_PER_NODE": "1", "SKYPILOT_TASK_ID": "tid",
		"SKYPILOT_USER": "u", "SKYPLAN_TASK_ID": "tid"} {
		if m[k] != want {
			t.Errorf("run %s = %q, want %q", k, m[k], want)
		}
	}
	m = map[string]string{}
	for _, kv := range e.SetupEnv(2) {
		m[kv.Key] = kv.Value
	}
	for k, want := range map[string]string{"SKYPILOT_SETUP_NODE_RANK": "2", "SKYPILOT_SETUP_NODE_IPS": "10.0.0.1\n10.0.0.2\n10.0.0.3",
		"SKYPILOT_SETUP_NUM_GPUS_PER_NODE": "1", "SKYPLAN_SETUP_NODE_RANK": "2"} {
		if m[k] != want {
			t.Errorf("setup %s = %q, want %q", k, m[k], want)
		}
	}
	if _, ok := m["SKYPILOT_NODE_RANK"]; ok {
		t.Error("setup must not get SKYPILOT_NODE_RANK")
	}
	e.Accelerators = map[string]float64{"tpu-v5litepod-8": 1}
	for _, kv := range e.RunEnv(0) {
		if kv.Key == "SKYPILOT_NUM_GPUS_PER_NODE" && kv.Value != "0" {
			t.Errorf("TPU counts as %s GPUs", kv.Value)
		}
	}
}

func TestIgnoreMatching(t *testing.T) {
	ig := &Ignorer{}
	for _, p := range []string{"*.log", "!important.log", "/build", "docs/*.md", "cache/", "**/tmp", "a/**/z", "\\#hash", "sp\\ "} {
		ig.AddPattern("", p)
	}
	ig.AddPattern("sub", "local.txt")
	ig.AddPattern("sub", "/anch")
	cases := []struct {
		path string
		dir  bool
		want bool
	}{
		{"x.log", false, true}, {"deep/x.log", false, true}, {"important.log", false, false},
		{"build", true, true}, {"src/build", true, false}, {"docs/a.md", false, true}, {"docs/sub/a.md", false, false},
		{"cache", true, true}, {"cache", false, false}, {"x/cache", true, true}, {"tmp", true, true}, {"q/r/tmp", false, true},
		{"a/z", false, true}, {"a/b/c/z", false, true}, {"#hash", false, true}, {"sp ", false, true},
		{"sub/local.txt", false, true}, {"local.txt", false, false}, {"sub/x/local.txt", false, true},
		{"sub/anch", false, true}, {"sub/x/anch", false, false}, {"main.py", false, false},
	}
	for _, c := range cases {
		if got := ig.Ignored(c.path, c.dir); got != c.want {
			t.Errorf("Ignored(%q, dir=%v) = %v, want %v", c.path, c.dir, got, c.want)
		}
	}
}

func TestSkyignoreReplacesGitignore(t *testing.T) {
	root := t.TempDir()
	for p, c := range map[string]string{".skyignore": "data/\n", ".gitignore": "*.py\n", "a.py": "", "data/x": "", "keep": ""} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(c), 0o644)
	}
	path, _, err := tarTree(root, true)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	b, _ := os.ReadFile(path)
	s := string(b)
	if !strings.Contains(s, "a.py") || strings.Contains(s, "data/x") || !strings.Contains(s, "keep") {
		t.Fatal("with .skyignore present, .gitignore must not apply and .skyignore must")
	}
}

func TestProxyCommandTokens(t *testing.T) {
	got := ExpandProxyCommand("ssh -W %h:%p -l %r jump 100%% %x", "10.0.0.5", 2222, "ubuntu")
	if got != "ssh -W 10.0.0.5:2222 -l ubuntu jump 100% %x" {
		t.Fatalf("expanded = %q", got)
	}
	cmd := proxyCommand(t.Context(), "nc %h %p", Node{Host: "h", Port: 22, User: "u"})
	if strings.Join(cmd.Args, " ") != "sh -c nc h 22" {
		t.Fatalf("argv = %q", cmd.Args)
	}
}

func TestStorageAndCloudCommands(t *testing.T) {
	s3, _ := CloudFetchCommand("s3://bkt/data", RemotePathExpr("/data"))
	if !strings.Contains(s3, "aws s3 sync --no-follow-symlinks s3://bkt/data /data") || !strings.Contains(s3, "aws s3 cp s3://bkt/data /data") {
		t.Errorf("s3 = %s", s3)
	}
	gs, _ := CloudFetchCommand("gs://bkt/x", RemotePathExpr("rel/x"))
	if !strings.Contains(gs, `gsutil -m rsync -e -r gs://bkt/x "$HOME"/sky_workdir/rel/x`) {
		t.Errorf("gcs = %s", gs)
	}
	az, _ := CloudFetchCommand("https://acct.blob.core.windows.net/c/p", RemotePathExpr("~/d"))
	if !strings.Contains(az, `azcopy copy --recursive=true https://acct.blob.core.windows.net/c/p "$HOME"/d`) {
		t.Errorf("azure = %s", az)
	}
	if _, err := CloudFetchCommand("ftp://x", "/d"); err == nil {
		t.Error("ftp accepted")
	}
	m, _ := StorageCommand("/mnt/ckpt", &task.Storage{Name: "ckpt", Mode: "MOUNT"}, "aws")
	if !strings.Contains(m, "goofys -o allow_other --stat-cache-ttl 5s --type-cache-ttl 5s ckpt /mnt/ckpt") {
		t.Errorf("s3 mount = %s", m)
	}
	g, _ := StorageCommand("/mnt/g", &task.Storage{Source: []string{"gs://b/sub"}}, "aws")
	if !strings.Contains(g, "gcsfuse -o allow_other --implicit-dirs") || !strings.Contains(g, "--only-dir sub b /mnt/g") {
		t.Errorf("gcs mount = %s", g)
	}
	a, _ := StorageCommand("/mnt/a", &task.Storage{Name: "cont", Store: "azure"}, "azure")
	if !strings.Contains(a, "blobfuse2 /mnt/a --allow-other --container-name cont") {
		t.Errorf("azure mount = %s", a)
	}
	// The bucket's own storage account, from the file the Azure module writes.
	if !strings.Contains(a, `{ a=$(sed -n 's/^cont=//p' /etc/skyplan/azure-storage-accounts 2>/dev/null); if [ -n "$a" ]; then export AZURE_STORAGE_ACCOUNT="$a"; fi; } && `) {
		t.Errorf("azure mount does not read the bucket's storage account: %s", a)
	}
	c, _ := StorageCommand("/mnt/c", &task.Storage{Name: "b", Mode: "COPY"}, "gcp")
	if !strings.Contains(c, "gsutil -m rsync -e -r gs://b /mnt/c") {
		t.Errorf("copy = %s", c)
	}
	mc, _ := StorageCommand("/mnt/mc", &task.Storage{Name: "b", Mode: "MOUNT_CACHED"}, "aws")
	if !strings.Contains(mc, "rclone mount s3:b /mnt/mc") || !strings.Contains(mc, "--vfs-cache-mode full") {
		t.Errorf("mount cached = %s", mc)
	}
}

func TestAutostopScript(t *testing.T) {
	cl := &Cluster{Name: "c", Cloud: "aws", Region: "us-east-1", Nodes: []Node{{InstanceID: "i-1"}, {InstanceID: "i-2"}}}
	s := AutostopScript(cl, task.Autostop{Enabled: true, IdleMinutes: 10, Down: true})
	if !strings.Contains(s, "aws ec2 terminate-instances --region us-east-1 --instance-ids i-1 i-2") || !strings.Contains(s, "-ge 600 ") {
		t.Errorf("autodown script:\n%s", s)
	}
	if a := AutostopAction(&Cluster{Name: "p", Cloud: "ssh"}, true); strings.Contains(a, "terminate") || !strings.HasPrefix(a, "echo ") {
		t.Errorf("ssh pool autostop must be non-destructive: %s", a)
	}
}
