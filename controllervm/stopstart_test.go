package controllervm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// An idle stop (the OS shut down; instance_initiated_shutdown_behavior =
// "stop") followed by `controller up`: the apply starts the same
// instance with the same state volume attached, and down then destroys
// everything (the volume root last).
func TestStopStartKeepsInstanceAndVolumeOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("applies against moto")
	}
	moto := provisiontest.StartMoto(t)
	env := tfEnv(t, moto.URL)
	before := leftovers(t, moto.URL)
	dir := t.TempDir()
	in := testInput(t)
	in.AMI, in.AWSSkipAccountChecks, in.Zone = motoAMI, true, "us-east-1b"
	if err := compileInput(t, in).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, root := range ApplyOrder {
		d := filepath.Join(dir, root)
		runTF(t, d, env, "init", "-input=false")
		t.Cleanup(func() { tf(d, env, "destroy", "-auto-approve", "-input=false") })
	}
	for _, root := range ApplyOrder {
		runTF(t, filepath.Join(dir, root), env, "apply", "-auto-approve", "-input=false")
	}
	nodes, vol, _ := outputs(t, dir, env)
	if len(nodes) != 1 {
		t.Fatalf("nodes: %+v", nodes)
	}
	id := nodes[0].InstanceID
	query(t, moto.URL, "ec2", "StopInstances", "InstanceId.1", id)
	if st := instanceState(t, moto, id); st != "stopped" {
		t.Fatalf("after StopInstances: %s", st)
	}
	// controller up on the stopped VM.
	runTF(t, dir, env, "apply", "-auto-approve", "-input=false")
	nodes2, vol2, _ := outputs(t, dir, env)
	if len(nodes2) != 1 || nodes2[0].InstanceID != id || vol2 != vol {
		t.Fatalf("after up on the stopped VM: %+v volume %s, want instance %s volume %s", nodes2, vol2, id, vol)
	}
	if st := instanceState(t, moto, id); st != "running" {
		t.Errorf("after up on the stopped VM: instance %s", st)
	}
	v := query(t, moto.URL, "ec2", "DescribeVolumes", "VolumeId.1", vol)
	if !strings.Contains(v, id) {
		t.Errorf("state volume not attached after the restart:\n%s", v)
	}
	// The tags data.aws_ebs_volume.state finds it by (an aws_instance
	// volume_tags would have overwritten them in the restart's update).
	if !strings.Contains(v, "<key>skyplan-volume</key>") || !strings.Contains(v, "<value>"+in.Name+"-state</value>") {
		t.Errorf("state volume lost its tags in the restart:\n%s", v)
	}
	// A second up on the running VM changes nothing and still finds it.
	runTF(t, dir, env, "apply", "-auto-approve", "-input=false")
	// down.
	runTF(t, dir, env, "destroy", "-auto-approve", "-input=false")
	runTF(t, filepath.Join(dir, VolumeDir), env, "destroy", "-auto-approve", "-input=false")
	if left := leftovers(t, moto.URL); strings.Join(left, "\n") != strings.Join(before, "\n") {
		t.Errorf("leftovers after down:\n%s\n(before: %v)", strings.Join(left, "\n"), before)
	}
}

func instanceState(t *testing.T, moto *provisiontest.Moto, id string) string {
	t.Helper()
	for _, in := range moto.Instances(t, "us-east-1") {
		if in.ID == id {
			return in.State
		}
	}
	return "absent"
}
