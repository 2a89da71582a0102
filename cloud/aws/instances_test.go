package aws_test

import (
	"context"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/skyplan/skyplan/cloud/aws"
	"github.com/skyplan/skyplan/provision/provisiontest"
)

// InstanceStates against moto: a running, a stopped and a terminated
// (preempted) instance come back as such, an id EC2 does not know is
// absent (not an error), and only pending/running count as live.
func TestInstanceStatesOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto_server")
	}
	moto := provisiontest.StartMoto(t)
	env := provisiontest.Env(moto.URL)
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The test's own client starts the instances (moto's AMI).
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-west-2"), config.WithBaseEndpoint(moto.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "testing")))
	if err != nil {
		t.Fatal(err)
	}
	c := ec2.NewFromConfig(cfg)
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: awssdk.String("ami-12c6146b"),
		MinCount: awssdk.Int32(3), MaxCount: awssdk.Int32(3), InstanceType: "t3.micro"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{*run.Instances[0].InstanceId, *run.Instances[1].InstanceId, *run.Instances[2].InstanceId}
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[1:2]}); err != nil {
		t.Fatal(err)
	}
	moto.Terminate(t, "us-west-2", ids[2])

	const unknown = "i-0123456789abcdef0"
	got, err := aws.Cloud{}.InstanceStates(ctx, getenv, "us-west-2", append(ids, unknown))
	if err != nil {
		t.Fatalf("InstanceStates: %v", err)
	}
	want := map[string]string{ids[0]: "running", ids[1]: "stopped", ids[2]: "terminated"}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: state %q, want %q (all: %v)", id, got[id], st, got)
		}
	}
	if _, ok := got[unknown]; ok || len(got) != 3 {
		t.Errorf("an unknown id must be absent: %v", got)
	}
	for st, live := range map[string]bool{"pending": true, "running": true, "stopping": false, "stopped": false, "shutting-down": false, "terminated": false} {
		if (aws.Cloud{}).InstanceRunning(st) != live {
			t.Errorf("InstanceRunning(%q) = %v", st, !live)
		}
	}
	// The other region knows none of them: asked there, all are absent.
	if other, err := (aws.Cloud{}).InstanceStates(ctx, getenv, "us-east-1", ids); err != nil || len(other) != 0 {
		t.Errorf("us-east-1: %v, %v", other, err)
	}
	// An endpoint that does not answer is an error, never "all gone".
	bad := map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
	if got, err := (aws.Cloud{}).InstanceStates(ctx, func(k string) string { return bad[k] }, "us-west-2", ids); err == nil {
		t.Errorf("an unreachable endpoint answered %v without an error", got)
	}
}
