package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/skyplan/skyplan/cli"
)

// TestMain lets testscript run skyplan in-process as the "skyplan" command.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"skyplan": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the acceptance scripts in testdata/script/*.txtar. Each
// script gets its own $SKYPLAN_HOME and $HOME; $REPO points at the
// repository root (for the bundled examples) and $SHARED at ../shared.
func TestScripts(t *testing.T) {
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("REPO", repo)
			env.Setenv("SHARED", filepath.Join(repo, "..", "shared"))
			env.Setenv("SKYPLAN_HOME", filepath.Join(env.WorkDir, ".skyplan"))
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
		// [awsmirror]: the machine image's offline AWS provider mirror is
		// there (compile then writes the provider lock file).
		Condition: func(cond string) (bool, error) {
			if cond != "awsmirror" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			_, err := os.Stat("/opt/tf-plugins/registry.terraform.io/hashicorp/aws")
			return err == nil, nil
		},
	})
}
