package compiler

import (
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/task"
)

// testImages resolves the AMIs of ../shared/catalogs/aws/images.csv the
// cases use (the catalog package provides the real resolver).
type testImages map[string]string

func (t testImages) AWSImage(tag, region string) (string, bool) {
	id, ok := t[tag+"@"+region]
	return id, ok
}

// AWSZoneID: the catalog's mapping of the zones the cases use.
func (t testImages) AWSZoneID(zone string) (string, bool) {
	id, ok := map[string]string{"us-east-1a": "use1-az2", "us-east-1b": "use1-az4", "us-east-1c": "use1-az6", "us-west-2a": "usw2-az1", "us-west-2d": "usw2-az4"}[zone]
	return id, ok
}

var images = testImages{
	"skypilot:custom-cpu-ubuntu@us-east-1":  "ami-0e6842148a3d9982b",
	"skypilot:custom-gpu-ubuntu@us-east-1":  "ami-0c3bc6c2c633f3dd3",
	"skypilot:custom-gpu-ubuntu@us-west-2":  "ami-0c3369c317f5a7dce",
	"skypilot:neuron-ubuntu-2204@us-east-1": "ami-0063318bf775e8d12",
	"skypilot:neuron-ubuntu-2204@us-west-2": "ami-0e1f2221be4dc4548",
}

const (
	testKey    = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBJ2m7sQm0pIu5cCBgxk3oWZ3a0p1VbX3yq0v1zj6Xx9 skyplan"
	testSecret = "hf_SUPERSECRETTOKENVALUE0123456789"
)

func str(s string) *string { return &s }

// newTask builds a task with one candidate resource, a secret and an env
// var (which must never reach the generated files).
func newTask(name string, nodes int, r task.Resources, mounts ...task.FileMount) *task.Task {
	return &task.Task{
		Name:       name,
		NumNodes:   nodes,
		Resources:  task.ResourceSet{Items: []task.Resources{r}},
		Run:        "python train.py",
		Envs:       []task.EnvVar{{Key: "EPOCHS", Value: str("3")}},
		Secrets:    []task.EnvVar{{Key: "HF_TOKEN", Value: str(testSecret)}},
		FileMounts: mounts,
	}
}

func input(cluster string, t *task.Task, p optimizer.Placement) Input {
	p.NumNodes = t.NumNodes
	p.Request = &t.Resources.Items[0]
	return Input{
		ClusterName:    cluster,
		Task:           t,
		Placement:      p,
		SSHPublicKey:   testKey,
		SSHCIDRs:       []string{"203.0.113.7/32"},
		Images:         images,
		ProjectID:      "my-project",
		SubscriptionID: "00000000-0000-0000-0000-000000000000",
		SkyplanVersion: "test",
		Command:        "skyplan compile ../task.yaml --out-dir . --ssh-cidr 203.0.113.7/32",
	}
}

func withoutKey(in Input) Input {
	in.SSHPublicKey = ""
	return in
}

func bucketMounts(store string) []task.FileMount {
	return []task.FileMount{
		{Dst: "/checkpoints", Storage: &task.Storage{Name: "skyplan-test-ckpt", Store: store, Mode: "MOUNT", Persistent: true}},
		{Dst: "/existing", Storage: &task.Storage{Source: []string{"s3://someone-elses-bucket"}, Mode: "COPY", Persistent: true}},
		{Dst: "/scratch", Storage: &task.Storage{Name: "skyplan-test-scratch", Store: store, Mode: "MOUNT", Persistent: false}},
	}
}

// goldenCases are the inputs of the golden root modules (testdata/compiler).
func goldenCases() map[string]Input {
	acc := func(n string, c float64) *task.Accelerator { return &task.Accelerator{Name: n, Count: c} }
	cases := map[string]Input{}

	t := newTask("train", 2, task.Resources{Accelerator: acc("A10G", 1), UseSpot: true, Ports: []task.PortRange{{From: 8888, To: 8888}, {From: 6006, To: 6010}}, Labels: map[string]string{"team": "ml"}})
	cases["aws-gpu-spot-2nodes"] = input("train-gpu", t, optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1b", InstanceType: "g5.xlarge", Accelerators: map[string]float64{"A10G": 1}, UseSpot: true})

	t = newTask("infer", 1, task.Resources{Accelerator: acc("Inferentia2", 1), DiskSizeGB: 512, DiskTier: "high"})
	cases["aws-inf2"] = input("infer", t, optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zones: []string{"us-east-1a", "us-east-1c"}, InstanceType: "inf2.xlarge", Accelerators: map[string]float64{"Inferentia2": 1}})

	t = newTask("pretrain", 4, task.Resources{Accelerator: acc("Trainium", 16), NetworkTier: "best", DiskTier: "best", DiskSizeGB: 1024})
	cases["aws-trn1-efa"] = input("pretrain", t, optimizer.Placement{Cloud: "aws", Region: "us-west-2", Zone: "us-west-2d", InstanceType: "trn1.32xlarge", Accelerators: map[string]float64{"Trainium": 16}})

	t = newTask("cpu", 1, task.Resources{})
	cases["aws-cpu-default"] = input("my_Cluster.1", t, optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.2xlarge"})

	t = newTask("gcp-train", 1, task.Resources{Accelerator: acc("V100", 4), UseSpot: true, DiskTier: "ultra"})
	cases["gcp-gpu-spot"] = input("gcp-train", t, optimizer.Placement{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n1-highmem-16", Accelerators: map[string]float64{"V100": 4}, UseSpot: true})
	// What skyplan compile writes without --ssh-public-key: no key at all.
	cases["gcp-gpu-spot"] = withoutKey(cases["gcp-gpu-spot"])

	t = newTask("tpu", 1, task.Resources{Accelerator: acc("tpu-v5litepod-8", 1), AcceleratorArgs: &task.AcceleratorArgs{TPUVM: true}, Ports: []task.PortRange{{From: 8080, To: 8080}}})
	cases["gcp-tpu-v5e"] = input("tpu-v5e", t, optimizer.Placement{Cloud: "gcp", Region: "us-west4", Zone: "us-west4-a", InstanceType: "TPU-VM", Accelerators: map[string]float64{"tpu-v5litepod-8": 1}})

	t = newTask("tpu-pod", 1, task.Resources{Accelerator: acc("tpu-v4-32", 1), AcceleratorArgs: &task.AcceleratorArgs{TPUVM: true, RuntimeVersion: "tpu-ubuntu2204-base"}, UseSpot: true})
	cases["gcp-tpu-pod"] = input("a-very-long-cluster-name-for-a-tpu-pod-slice", t, optimizer.Placement{Cloud: "gcp", Region: "us-central2", Zone: "us-central2-b", InstanceType: "TPU-VM", Accelerators: map[string]float64{"tpu-v4-32": 1}, UseSpot: true})

	t = newTask("az", 2, task.Resources{Accelerator: acc("V100", 1), UseSpot: true, Ports: []task.PortRange{{From: 7860, To: 7860}}})
	cases["azure-gpu"] = input("azure-gpu", t, optimizer.Placement{Cloud: "azure", Region: "eastus", InstanceType: "Standard_NC6s_v3", Accelerators: map[string]float64{"V100": 1}, UseSpot: true})

	t = newTask("b", 1, task.Resources{}, bucketMounts("s3")...)
	cases["aws-buckets"] = input("buckets", t, optimizer.Placement{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.2xlarge"})

	t = newTask("b", 1, task.Resources{}, bucketMounts("gcs")...)
	cases["gcp-buckets"] = input("buckets", t, optimizer.Placement{Cloud: "gcp", Region: "us-central1", Zone: "us-central1-a", InstanceType: "n2-standard-8"})

	t = newTask("b", 1, task.Resources{DiskTier: "low"}, bucketMounts("")...)
	cases["azure-buckets"] = input("buckets", t, optimizer.Placement{Cloud: "azure", Region: "westus2", InstanceType: "Standard_D8s_v5"})
	return cases
}
