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
