package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

// stateBucket is the S3 bucket (in moto) that holds remote Terraform state
// in testdata/ci; the scripts' .skyplan.yaml names it.
const stateBucket = "team-tfstate"

// TestCIFlow runs testdata/ci/*.txtar, the pull-request review flow of
// docs/ci.md, against a real terraform and a moto_server it starts itself:
// remote state in moto's S3 (use_lockfile), instances in moto's EC2.
func TestCIFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("CI flow (terraform + moto) skipped in -short mode")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	moto := provisiontest.StartMoto(t)
	moto.CreateBucket(t, stateBucket)
	cache := provisiontest.SharedPluginCache()
	testscript.Run(t, testscript.Params{
		Dir: "testdata/ci",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			env.Setenv("SKYPLAN_HOME", filepath.Join(env.WorkDir, ".skyplan"))
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("TF_PLUGIN_CACHE_DIR", cache)
			// The machine's TF_CLI_CONFIG_FILE names a missing file; so does
			// this one, which makes skyplan write its own CLI config with
			// the local provider mirror (as on a CI runner without one).
			env.Setenv("TF_CLI_CONFIG_FILE", filepath.Join(env.WorkDir, "missing.tfrc"))
			for k, v := range provisiontest.Env(moto.URL) {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// moto-live REGION N: exactly N instances pending or running.
			"moto-live": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: moto-live REGION N")
				}
				want, err := strconv.Atoi(args[1])
				ts.Check(err)
				got := moto.Live(scriptTB{t, ts}, args[0])
				if (got == want) == neg {
					ts.Fatalf("moto has %d live instance(s) in %s; want %s%d", got, args[0], map[bool]string{true: "not ", false: ""}[neg], want)
				}
			},
			// state-key KEY: the state bucket holds object KEY.
			"state-key": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: state-key KEY")
				}
				keys := moto.Keys(scriptTB{t, ts}, stateBucket)
				if slices.Contains(keys, args[0]) == neg {
					ts.Fatalf("state bucket keys %v; want %q present=%v", keys, args[0], !neg)
				}
			},
		},
	})
}

// scriptTB lets provisiontest's moto helpers fail the running script
// (from the script's goroutine) instead of the outer test.
type scriptTB struct {
	testing.TB
	ts *testscript.TestScript
}

func (s scriptTB) Helper()                      {}
func (s scriptTB) Fatal(args ...any)            { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Fatalf(f string, args ...any) { s.ts.Fatalf(f, args...) }
func (s scriptTB) Error(args ...any)            { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Errorf(f string, args ...any) { s.ts.Fatalf(f, args...) }
func (s scriptTB) FailNow()                     { s.ts.Fatalf("FailNow") }

// TestCIDocMatchesScript keeps docs/ci.md honest: every skyplan command in
// its code blocks is run, verbatim and in the same order, by
// testdata/ci/review-flow.txtar, and a command whose stdout the doc
// redirects to a file is followed in the script by `cp stdout FILE`.
func TestCIDocMatchesScript(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/ci/review-flow.txtar")
	if err != nil {
		t.Fatal(err)
	}
	cmds := docCommands(string(doc))
	if len(cmds) < 4 {
		t.Fatalf("docs/ci.md has %d skyplan commands in code blocks; want the plan/apply/status/down flow: %q", len(cmds), cmds)
	}
	t.Logf("doc commands: %q", cmds)
	lines := strings.Split(string(script), "\n")
	next := 0 // the doc's order is the script's order
	for _, c := range cmds {
		cmd, redirect := c, ""
		if i := strings.Index(c, " > "); i >= 0 {
			cmd, redirect = strings.TrimSpace(c[:i]), strings.TrimSpace(c[i+3:])
		}
		found := -1
		for i := next; i < len(lines) && found < 0; i++ {
			l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[i]), "!"))
			if l == "exec "+cmd && (redirect == "" || (i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "cp stdout "+redirect)) {
				found = i
			}
		}
		if found < 0 {
			t.Errorf("docs/ci.md runs %q, but testdata/ci/review-flow.txtar does not after its previous command (as `exec %s`%s)", c, cmd,
				map[bool]string{true: "", false: " followed by `cp stdout " + redirect + "`"}[redirect == ""])
			continue
		}
		next = found + 1
	}
}

var fenceRE = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")

// docCommands returns the skyplan command lines of a Markdown document's
// fenced code blocks (shell lines and YAML `run:` steps alike).
func docCommands(md string) []string {
	var out []string
	for _, m := range fenceRE.FindAllStringSubmatch(md, -1) {
		for _, l := range strings.Split(m[1], "\n") {
			l = strings.TrimSpace(l)
			l = strings.TrimSpace(strings.TrimPrefix(l, "- run:"))
			l = strings.TrimSpace(strings.TrimPrefix(l, "run:"))
			if i := strings.Index(l, " #"); i >= 0 {
				l = strings.TrimSpace(l[:i])
			}
			if strings.HasPrefix(l, "skyplan ") && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}
