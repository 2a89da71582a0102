package templates

import (
	"strings"
	"testing"
)

func TestEveryCloudModuleIsComplete(t *testing.T) {
	for _, cloud := range Clouds {
		files, err := Files(cloud)
		if err != nil {
			t.Fatalf("%s: %v", cloud, err)
		}
		for _, want := range []string{"README.md", "main.tf", "variables.tf", "outputs.tf", "versions.tf",
			"buckets/main.tf", "buckets/variables.tf", "buckets/outputs.tf", "buckets/versions.tf"} {
			if len(files[want]) == 0 {
				t.Errorf("%s module lacks %s", cloud, want)
			}
		}
		outputs := string(files["outputs.tf"])
		for _, out := range []string{`output "nodes"`, `output "ssh_user"`, `output "buckets"`} {
			if !strings.Contains(outputs, out) {
				t.Errorf("%s module lacks %s", cloud, out)
			}
		}
		// Every variable is typed and described.
		vars := string(files["variables.tf"])
		if n, typed, described := strings.Count(vars, "variable \""), strings.Count(vars, "  type "), strings.Count(vars, "  description "); n == 0 || typed != n || described != n {
			t.Errorf("%s: %d variables, %d typed, %d described", cloud, n, typed, described)
		}
		if !strings.Contains(vars, "validation {") {
			t.Errorf("%s: no validation blocks", cloud)
		}
	}
	if _, err := Files("oci"); err == nil {
		t.Error("unknown cloud must be an error")
	}
}

// The cluster module never carries the controller module; the controller
// module is reachable on its own, with its volume sub-root.
func TestControllerModuleIsSeparate(t *testing.T) {
	files, err := Files("aws")
	if err != nil {
		t.Fatal(err)
	}
	for p := range files {
		if strings.HasPrefix(p, ControllerDir+"/") {
			t.Errorf("cluster module contains %s", p)
		}
	}
	if _, ok := files["buckets/main.tf"]; !ok {
		t.Error("cluster module lost buckets/")
	}
	sub, ok := Controller("aws")
	if !ok {
		t.Fatal("no aws controller module")
	}
	cf, err := FilesOf(sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"main.tf", "iam.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md", "user_data.sh.tftpl", "volume/main.tf", "volume/variables.tf", "volume/outputs.tf"} {
		if len(cf[want]) == 0 {
			t.Errorf("controller module lacks %s", want)
		}
	}
	if _, ok := Controller("gcp"); ok {
		t.Error("gcp has no controller module")
	}
}
