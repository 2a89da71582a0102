package cli

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// cli reaches provisioning, the runner and the compiler only through the
// cluster package: no package cli depends on (cli included) imports them
// except cluster and those packages themselves. Reading state and config
// for display is fine.
func TestCLIReachesProvisionRunnerCompilerOnlyThroughCluster(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-json=ImportPath,Imports", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/skyplan/skyplan/"
	// controllervm is the controller VM's compiler: reached through
	// cluster (ControllerApply) like compiler itself.
	internal := []string{"provision", "runner", "compiler", "controllervm"}
	isInternal := func(p string) bool {
		for _, in := range internal {
			if p == mod+in || strings.HasPrefix(p, mod+in+"/") {
				return true
			}
		}
		return false
	}
	// Packages allowed to import them: cluster, and each other (the
	// provisioner's own layers). No exceptions: skyplan check's credential
	// probes run through cluster.CredentialProbe (cloudcheck.Prober).
	allowed := func(p string) bool { return p == mod+"cluster" || isInternal(p) }
	dec := json.NewDecoder(strings.NewReader(string(out)))
	sawCluster := false
	for dec.More() {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		if pkg.ImportPath == mod+"cluster" {
			sawCluster = true
		}
		if allowed(pkg.ImportPath) {
			continue
		}
		for _, imp := range pkg.Imports {
			if isInternal(imp) {
				t.Errorf("%s imports %s: go through the cluster package", strings.TrimPrefix(pkg.ImportPath, mod), strings.TrimPrefix(imp, mod))
			}
		}
	}
	if !sawCluster {
		t.Errorf("cli does not depend on cluster at all")
	}
}
