package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

func TestTaskFitsExistingCluster(t *testing.T) {
	sc := &state.Cluster{Name: "c", Cloud: "aws", Region: "us-east-2", Zone: "us-east-2c", InstanceType: "g4dn.xlarge",
		Accelerators: map[string]float64{"T4": 1}, UseSpot: true, NumNodes: 2, Nodes: make([]state.Node, 2)}
	res := func(r task.Resources, n int) *task.Task {
		return &task.Task{NumNodes: n, Resources: task.ResourceSet{Items: []task.Resources{r}}}
	}
	cases := []struct {
		name string
		t    *task.Task
		want bool
	}{
		{"same", res(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: &task.Accelerator{Name: "T4", Count: 1}, UseSpot: true, UseSpotSet: true}, 2), true},
		{"fewer nodes", res(task.Resources{}, 1), true},
		{"more nodes", res(task.Resources{}, 3), false},
		{"other cloud", res(task.Resources{Infra: task.Infra{Cloud: "gcp"}}, 1), false},
		{"other region", res(task.Resources{Infra: task.Infra{Cloud: "aws", Region: "us-east-1"}}, 1), false},
		{"same zone", res(task.Resources{Infra: task.Infra{Cloud: "aws", Region: "us-east-2", Zone: "us-east-2c"}}, 1), true},
		{"more GPUs", res(task.Resources{Accelerator: &task.Accelerator{Name: "T4", Count: 2}}, 1), false},
		{"other GPU", res(task.Resources{Accelerator: &task.Accelerator{Name: "A10G", Count: 1}}, 1), false},
		{"other instance type", res(task.Resources{InstanceType: "g5.xlarge"}, 1), false},
		{"on-demand asked", res(task.Resources{UseSpot: false, UseSpotSet: true}, 1), false},
		{"spot unspecified", res(task.Resources{InstanceType: "g4dn.xlarge"}, 1), true},
	}
	for _, c := range cases {
		if got := TaskFits(c.t, sc); got != c.want {
			t.Errorf("%s: TaskFits = %v, want %v", c.name, got, c.want)
		}
	}
	d := MisfitDiag(res(task.Resources{Infra: task.Infra{Cloud: "aws"}, Accelerator: &task.Accelerator{Name: "T4", Count: 2}}, 2), sc)
	for _, want := range []string{"Requested:\t2x(AWS, gpus=T4:2)", "Existing:\tAWS (us-east-2c) 2x(gpus=T4:1, g4dn.xlarge[Spot])", "skyplan down c"} {
		if !strings.Contains(d.Summary+d.Detail, want) {
			t.Errorf("misfit message lacks %q:\n%s\n%s", want, d.Summary, d.Detail)
		}
	}
}

func TestBucketUploadCommands(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "one.bin"), []byte("x"), 0o644)
	tk := &task.Task{FileMounts: []task.FileMount{
		{Dst: "/data", Storage: &task.Storage{Name: "my-data", Source: []string{"data"}, Mode: "COPY"}},
		{Dst: "/one", Storage: &task.Storage{Name: "my-one", Source: []string{filepath.Join(dir, "one.bin")}}},
		{Dst: "/existing", Storage: &task.Storage{Source: []string{"s3://somebody-elses"}}},
		{Dst: "/empty", Storage: &task.Storage{Name: "scratch"}},
		{Dst: "/local", Src: "data"},
	}}
	ups := bucketUploads(tk, "aws", dir)
	if len(ups) != 2 {
		t.Fatalf("uploads: %+v", ups)
	}
	got0, err := uploadCommand(ups[0], "us-east-2")
	if err != nil {
		t.Fatal(err)
	}
	want0 := "aws s3 sync --no-follow-symlinks " + filepath.Join(dir, "data") + " s3://my-data/ --region us-east-2"
	if strings.Join(got0, " ") != want0 {
		t.Errorf("dir upload:\n got %q\nwant %q", strings.Join(got0, " "), want0)
	}
	got1, _ := uploadCommand(ups[1], "")
	if strings.Join(got1, " ") != "aws s3 cp "+filepath.Join(dir, "one.bin")+" s3://my-one/one.bin" {
		t.Errorf("file upload: %q", got1)
	}
	gcs := bucketUploads(tk, "gcp", dir)
	if g, _ := uploadCommand(gcs[0], ""); strings.Join(g, " ") != "gsutil -m rsync -r "+filepath.Join(dir, "data")+" gs://my-data" {
		t.Errorf("gcs upload: %q", g)
	}
	if _, err := uploadCommand(bucketUpload{Store: "s3", Bucket: "b", Source: filepath.Join(dir, "missing")}, ""); err == nil {
		t.Errorf("a missing source must be an error")
	}
}
