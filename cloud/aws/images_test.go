package aws

import (
	"reflect"
	"testing"

	"github.com/skyplan/skyplan/cloud"
)

// TestImageLookup: Neuron instances resolve AWS's Neuron DLAMI by owner and
// name (inf1 excepted: current DLAMIs dropped it), everything else keeps
// the pinned catalog or task ID, and every root lets a new image leave
// running nodes alone.
func TestImageLookup(t *testing.T) {
	resolve := func(tag, region string) (string, bool) { return "ami-0123456789abcdef0", true }
	for _, tc := range []struct {
		itype, image string
		want         any
	}{
		{"inf2.xlarge", "", neuronDLAMI},
		{"trn1.32xlarge", "", neuronDLAMI},
		{"trn2.48xlarge", "", neuronDLAMI},
		{"inf1.xlarge", "", nil},
		{"g5.xlarge", "", nil},
		{"inf2.xlarge", "ami-0aaaaaaaaaaaaaaaa", nil}, // the task's own image
	} {
		root, ds := Cloud{}.Root(cloud.ModuleRequest{InstanceType: tc.itype, Region: "us-east-1", Zone: "us-east-1a", Image: tc.image, ResolveImage: resolve})
		if ds.HasErrors() {
			t.Fatalf("%s: %v", tc.itype, ds.Error())
		}
		vals := map[string]any{}
		for _, v := range root.Vars {
			vals[v.Name] = v.Value
		}
		if !reflect.DeepEqual(vals["ami_lookup"], tc.want) {
			t.Errorf("%s %q: ami_lookup = %v, want %v", tc.itype, tc.image, vals["ami_lookup"], tc.want)
		}
		if vals["ami_id"] == "" || vals["ignore_ami_changes"] != true {
			t.Errorf("%s: ami_id %v (the pinned fallback), ignore_ami_changes %v", tc.itype, vals["ami_id"], vals["ignore_ami_changes"])
		}
	}
}
