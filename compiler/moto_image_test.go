package compiler

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/task"
)

// Moto's preloaded images: two Canonical Ubuntu ones (owner 099720109477)
// and motoAMI, a Windows image of another owner.
const canonicalOwner = "099720109477"

var motoUbuntu = map[string]bool{"ami-1e749f67": true, "ami-785db401": true}

// TestAWSImageLookupOnMoto applies a root whose image is resolved in
// Terraform (ami_lookup: owner + name) against moto: the node runs the
// owner's image, not the pinned fallback; the same name under another
// owner resolves nothing and the plan fails; a different image then leaves
// the running node alone (ignore_ami_changes), unless the root opts in to
// replacement.
func TestAWSImageLookupOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("applies against moto")
	}
	bin, env := motoTerraform(t)
	in := goldenCases()["aws-cpu-default"]
	in.Placement.Request.ImageID = &task.ImageID{Default: motoAMI}
	m, ds := Compile(in)
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	dir := t.TempDir()
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var vars map[string]any
	json.Unmarshal(m.Files[VarsFile], &vars)
	if vars["ami_lookup"] != nil || vars["ignore_ami_changes"] != true {
		t.Fatalf("an explicit image_id compiles to ami_lookup %v, ignore_ami_changes %v; want the pinned ID and true", vars["ami_lookup"], vars["ignore_ami_changes"])
	}
	writeVars := func(name string, v map[string]any) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return "-var-file=" + p
	}
	lookup := writeVars("lookup.tfvars.json", map[string]any{"ami_lookup": map[string]any{"owners": []string{canonicalOwner}, "name": "ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"}})
	wrongOwner := writeVars("wrong-owner.tfvars.json", map[string]any{"ami_lookup": map[string]any{"owners": []string{"801119661308"}, "name": "ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"}})

	runTF(t, bin, dir, env, "init", "-input=false", "-no-color")
	t.Cleanup(func() {
		cmd := exec.Command(bin, "destroy", "-auto-approve", "-input=false", "-no-color")
		cmd.Dir, cmd.Env = dir, env
		cmd.Run()
	})
	cmd := exec.Command(bin, "plan", "-input=false", "-no-color", wrongOwner)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no results") {
		t.Errorf("a lookup under the wrong owner: %v, want the plan to fail on no matching image:\n%s", err, out)
	}
	runTF(t, bin, dir, env, "apply", "-auto-approve", "-input=false", "-no-color", lookup)
	var st struct {
		Values struct {
			RootModule struct {
				ChildModules []struct {
					Resources []struct {
						Address string         `json:"address"`
						Values  map[string]any `json:"values"`
					} `json:"resources"`
				} `json:"child_modules"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(runTF(t, bin, dir, env, "show", "-json")), &st); err != nil {
		t.Fatal(err)
	}
	var ami string
	for _, cm := range st.Values.RootModule.ChildModules {
		for _, r := range cm.Resources {
			if r.Address == "module.cluster.aws_instance.node[0]" {
				ami, _ = r.Values["ami"].(string)
			}
		}
	}
	if !motoUbuntu[ami] {
		t.Fatalf("node runs %q, want one of the Canonical images the lookup selects (not the pinned %s)", ami, motoAMI)
	}

	// Back to the pinned image: the running node is neither replaced nor
	// given another AMI (moto's own drift, IOPS and security group ids,
	// shows as in-place updates, so no -detailed-exitcode).
	out := runTF(t, bin, dir, env, "plan", "-input=false", "-no-color")
	if strings.Contains(out, "aws_instance.node[0] will be replaced") || strings.Contains(out, "aws_instance.node[0] must be replaced") || strings.Contains(out, motoAMI) {
		t.Errorf("a different AMI with ignore_ami_changes replaces or re-images the node:\n%s", out)
	}
	// Opted in: the node is replaced.
	out = runTF(t, bin, dir, env, "plan", "-input=false", "-no-color", "-var=ignore_ami_changes=false")
	if !strings.Contains(out, "module.cluster.aws_instance.node[0] will be replaced due to changes in replace_triggered_by") {
		t.Errorf("ignore_ami_changes = false does not replace the node:\n%s", out)
	}
}
