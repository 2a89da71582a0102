package controllervm

import (
	"flag"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/compiler/goldentest"
)

var update = flag.Bool("update", false, "rewrite the testdata/controllervm/default golden")

// goldenDir holds the compiled default controller for reviewers: both
// roots and their tfvars; the module copy under modules/ is the embedded
// templates/aws/controller verbatim and is not repeated.
const goldenDir = "../testdata/controllervm/default"

// TestGolden compiles the default controller (testInput: aws, us-east-1,
// the catalog's default type and image) and compares every generated
// file with the golden byte for byte.
func TestGolden(t *testing.T) {
	m := compileInput(t, testInput(t))
	var got []string
	for _, p := range m.Paths() {
		if !strings.HasPrefix(p, moduleDir+"/") {
			got = append(got, p)
		}
	}
	goldentest.Dir(t, goldenDir, got, m.Files, *update, "run go test ./controllervm -run TestGolden -update")
}
