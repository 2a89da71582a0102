package provision

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

// The node role and instance profile of an apply killed after its IAM
// calls are account-wide and outside every state: the AWS sweep finds
// them by the module's name prefix and their tag, and destroys them with
// their inline policy. A role the cluster's state keeps, and a role of
// another cluster whose name shares the prefix, are left alone.
func TestSweepRemovesUnrecordedNodeRoleOnMoto(t *testing.T) {
	moto := provisiontest.StartMoto(t)
	tc := realToolchainEnv(t, provisiontest.Env(moto.URL))
	cluster := t.TempDir()
	for _, name := range []string{"main.tf", compiler.VarsFile, compiler.RunVarsFile} {
		b, err := os.ReadFile(filepath.Join("../testdata/compiler/aws-cpu-default", name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(cluster, name), b, 0o644)
	}
	const tag = "my-cluster-1"
	leaked, kept, other := tag+"-node-20261202134744326200000001", tag+"-node-20261202134744326200000002", tag+"-node-20261202134744326200000003"
	moto.CreateNodeRole(t, leaked, tag)
	moto.CreateNodeRole(t, kept, tag)
	moto.CreateNodeRole(t, other, tag+"-node") // another cluster's, same prefix
	ws, err := tc.Workspace(cluster, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	rep, err := ws.Sweep(context.Background(), SweepOptions{Cloud: "aws", Region: "us-east-1", Tag: tag, Keep: []string{kept}, Log: &log})
	if err != nil {
		t.Fatalf("sweep: %v\n%s", err, log.String())
	}
	for _, want := range []string{"aws_iam_role " + leaked, "aws_iam_instance_profile " + leaked} {
		if !slices.Contains(rep.Swept, want) {
			t.Errorf("sweep report %v lacks %q", rep.Swept, want)
		}
	}
	left := moto.Tagged(t, "us-east-1", tag)
	if want := []string{"iam-instance-profile " + kept, "iam-role " + kept}; !slices.Equal(left, want) {
		t.Errorf("tagged %s after the sweep: %v, want only the kept role %v", tag, left, want)
	}
	if got := moto.Tagged(t, "us-east-1", tag+"-node"); len(got) != 2 {
		t.Errorf("the other cluster's role and profile were touched: %v", got)
	}
}
