package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/skyplan/skyplan/cloud"
)

var _ cloud.InstanceStates = Cloud{}

// InstanceStates asks EC2 (DescribeInstances, filtered by instance id so
// an id EC2 no longer knows is simply absent instead of failing the whole
// call) what state each instance is in. It is what the jobs controller
// asks when a head stops answering: one API call of well under a second,
// where a Terraform refresh of the cluster takes ~10 s. The client is the
// official AWS SDK, configured from getenv the way the Terraform provider
// is: static keys from AWS_ACCESS_KEY_ID/…, else the SDK's default chain
// (profile, SSO, web identity, instance profile); AWS_ENDPOINT_URL_EC2 or
// AWS_ENDPOINT_URL when set (moto in tests).
func (Cloud) InstanceStates(ctx context.Context, getenv func(string) string, region string, ids []string) (map[string]string, error) {
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(region), config.WithRetryMaxAttempts(2)}
	if k, s := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); k != "" && s != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(k, s, getenv("AWS_SESSION_TOKEN"))))
	} else if p := getenv("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL"} {
		if v := getenv(k); v != "" {
			opts = append(opts, config.WithBaseEndpoint(v))
			break
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	client := ec2.NewFromConfig(cfg)
	in := &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: awssdk.String("instance-id"), Values: ids}}}
	out := make(map[string]string, len(ids))
	for pages := ec2.NewDescribeInstancesPaginator(client, in); pages.HasMorePages(); {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("EC2 DescribeInstances in %s: %w", region, err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				if i.InstanceId != nil && i.State != nil {
					out[*i.InstanceId] = string(i.State.Name)
				}
			}
		}
	}
	return out, nil
}

// InstanceRunning: pending (booting, or restarting after a stop) and
// running are live; stopping, stopped, shutting-down and terminated
// (what a spot interruption does) are not.
func (Cloud) InstanceRunning(state string) bool {
	return state == string(ec2types.InstanceStateNamePending) || state == string(ec2types.InstanceStateNameRunning)
}
