package provision

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake terraform: with FAKE_TF_LOG set it
// records its argv and environment and answers like terraform -json would,
// so every command skyplan builds can be checked without running terraform.
func TestMain(m *testing.M) {
	if p := os.Getenv("LEAKS_HOLD_FCNTL"); p != "" {
		os.Exit(holdFcntlLock(p))
	}
	if os.Getenv("FAKE_PROVIDER") != "" && len(os.Args) == 2 && os.Args[1] == "-debug" {
		os.Exit(fakeProvider())
	}
	if os.Getenv("FAKE_TF_LOG") != "" {
		os.Exit(fakeTerraform(os.Args[1:]))
	}
	os.Exit(m.Run())
}

type fakeCall struct {
	Args []string          `json:"args"`
	Env  map[string]string `json:"env"`
	Dir  string            `json:"dir"`
}

var recordedEnv = []string{"TF_IN_AUTOMATION", "TF_CLI_CONFIG_FILE", "TF_PLUGIN_CACHE_DIR", "CHECKPOINT_DISABLE", "TF_LOG", "TF_INPUT", "AWS_ACCESS_KEY_ID", "TF_REATTACH_PROVIDERS"}

func fakeTerraform(args []string) int {
	dir, _ := os.Getwd()
	call := fakeCall{Args: args, Env: map[string]string{}, Dir: dir}
	for _, k := range recordedEnv {
		if v, ok := os.LookupEnv(k); ok {
			call.Env[k] = v
		}
	}
	if len(args) > 0 && args[0] != "version" {
		b, _ := json.Marshal(call)
		f, _ := os.OpenFile(os.Getenv("FAKE_TF_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		f.Write(append(b, '\n'))
		f.Close()
	}
	line := func(typ, msg string, extra map[string]any) {
		m := map[string]any{"@level": "info", "@message": msg, "@module": "terraform.ui", "type": typ}
		for k, v := range extra {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		fmt.Println(string(b))
	}
	// The state is a real local state file (terraform.tfstate) holding
	// count resources, so it moves with the directory like Terraform's.
	setState := func(count int) {
		var res []string
		for i := 0; i < count; i++ {
			res = append(res, fmt.Sprintf(`{"mode":"managed","type":"x","name":"n%d","instances":[{}]}`, i))
		}
		os.WriteFile(filepath.Join(dir, "terraform.tfstate"), []byte(fmt.Sprintf(`{"version":4,"serial":%d,"lineage":"fake","resources":[%s]}`, count+1, strings.Join(res, ","))), 0o644)
	}
	switch {
	case len(args) == 0:
		return 1
	case args[0] == "version":
		fmt.Println(`{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}`)
	case args[0] == "init":
		line("log", "Terraform has been successfully initialized!", nil)
	case args[0] == "plan":
		line("planned_change", "aws_instance.node[0]: Plan to create", nil)
		if msg := os.Getenv("FAKE_TF_PLAN_FAIL"); msg != "" {
			// As Terraform does with missing credentials: the summary of an
			// empty plan first, then the error that failed it.
			line("change_summary", "Plan: 0 to add, 0 to change, 0 to destroy.", map[string]any{"changes": map[string]any{"operation": "plan"}})
			line("diagnostic", "Error: "+msg, map[string]any{"@level": "error", "diagnostic": map[string]any{"severity": "error", "summary": msg, "detail": ""}})
			return 1
		}
		line("change_summary", "Plan: 2 to add, 0 to change, 0 to destroy.", map[string]any{"changes": map[string]any{"add": 2, "operation": "plan"}})
		return 2 // -detailed-exitcode: changes
	case args[0] == "apply":
		where := fakeLocation(dir)
		var fails map[string]string
		_ = json.Unmarshal([]byte(os.Getenv("FAKE_TF_FAIL")), &fails)
		// The security group is created before the instance fails.
		setState(1)
		line("apply_complete", "aws_security_group.cluster: Creation complete", map[string]any{"hook": map[string]any{"resource": map[string]any{"addr": "aws_security_group.cluster"}, "action": "create"}})
		if b := os.Getenv("FAKE_TF_BUCKET"); b != "" { // a globally named bucket, also created first
			addr := `module.cluster.module.buckets.aws_s3_bucket.bucket["` + b + `"]`
			line("apply_complete", addr+": Creation complete", map[string]any{"hook": map[string]any{"resource": map[string]any{"addr": addr}, "action": "create"}})
		}
		for _, key := range []string{where["zone"], where["region"]} {
			if msg, ok := fails[key]; ok && key != "" && strings.HasPrefix(msg, "stderr:") {
				// An error diagnostic without text; the words on stderr only.
				line("diagnostic", "Error: ", map[string]any{"@level": "error", "diagnostic": map[string]any{"severity": "error", "summary": "", "detail": ""}})
				fmt.Fprintln(os.Stderr, strings.TrimPrefix(msg, "stderr:"))
				return 1
			}
			if msg, ok := fails[key]; ok && key != "" && strings.HasPrefix(msg, "once:") {
				// Fails the first apply of the directory only.
				marker := filepath.Join(dir, "fake.failed-once")
				if _, err := os.Stat(marker); err == nil {
					continue
				}
				os.WriteFile(marker, nil, 0o644)
				msg = strings.TrimPrefix(msg, "once:")
				line("diagnostic", "Error: "+msg, map[string]any{"@level": "error", "diagnostic": map[string]any{"severity": "error", "summary": msg, "detail": "", "address": "aws_instance.node[0]"}})
				return 1
			}
			if msg, ok := fails[key]; ok && key != "" {
				line("diagnostic", "Error: "+msg, map[string]any{"@level": "error", "diagnostic": map[string]any{"severity": "error", "summary": msg, "detail": "", "address": "aws_instance.node[0]"}})
				return 1
			}
		}
		setState(2)
		line("change_summary", "Apply complete! Resources: 2 added, 0 changed, 0 destroyed.", map[string]any{"changes": map[string]any{"add": 2, "operation": "apply"}})
	case args[0] == "destroy":
		// A destroy waits for its gate file (a test holds it in flight) and
		// then records that it ended.
		for gate := os.Getenv("FAKE_TF_DESTROY_GATE"); gate != ""; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(gate); err == nil {
				break
			}
		}
		defer func() {
			if os.Getenv("FAKE_TF_DESTROY_GATE") == "" {
				return
			}
			b, _ := json.Marshal(fakeCall{Args: []string{"destroy-done"}, Dir: dir})
			f, _ := os.OpenFile(os.Getenv("FAKE_TF_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			f.Write(append(b, '\n'))
			f.Close()
		}()
		if os.Getenv("FAKE_TF_DESTROY_FAIL") != "" {
			line("diagnostic", "Error: deleting VPC: DependencyViolation", map[string]any{"@level": "error", "diagnostic": map[string]any{"severity": "error", "summary": "deleting VPC: DependencyViolation", "detail": ""}})
			return 1
		}
		setState(0)
		line("change_summary", "Destroy complete! Resources: 2 destroyed.", map[string]any{"changes": map[string]any{"remove": 2, "operation": "destroy"}})
	case args[0] == "state" && len(args) > 1 && args[1] == "pull":
		b, _ := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
		fmt.Println(string(b))
	case args[0] == "output":
		where := fakeLocation(dir)
		fmt.Printf(`{"nodes":{"sensitive":false,"type":"dynamic","value":[{"rank":0,"instance_id":"i-fake","private_ip":"10.0.0.5","public_ip":"203.0.113.5","zone":%q,"ssh_user":"ubuntu"}]}}`+"\n", where["zone"])
	}
	return 0
}

// fakeLocation reads region/zone from the tfvars the generator wrote.
func fakeLocation(dir string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(filepath.Join(dir, "skyplan.auto.tfvars.json"))
	if err == nil {
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		for _, k := range []string{"region", "zone"} {
			if s, ok := v[k].(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

// fakeToolchain points a Toolchain at the fake terraform.
func fakeToolchain(t *testing.T, fail map[string]string) (*Toolchain, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	logPath := filepath.Join(dir, "calls.jsonl")
	failJSON, _ := json.Marshal(fail)
	env := map[string]string{
		"FAKE_TF_LOG": logPath, "FAKE_TF_FAIL": string(failJSON), "PATH": os.Getenv("PATH"),
		"TF_CLI_CONFIG_FILE": filepath.Join(dir, "skyplan.tfrc"), "AWS_ACCESS_KEY_ID": "testing", "CHECKPOINT_DISABLE": "1",
	}
	return &Toolchain{ExecPath: exe, Env: env, PluginCacheDir: filepath.Join(dir, "cache")}, logPath
}

func readCalls(t *testing.T, path string) []fakeCall {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []fakeCall
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c fakeCall
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
