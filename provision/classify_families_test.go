package provision

import (
	"strings"
	"testing"
)

// familyCase is one error family in one of the forms it is printed in.
// Source says where the text (or its wording) comes from; "form:" rows are
// the same cloud message inside a wrapper the providers and tools print
// (Terraform's "Error: creating …:" prefix and "│ " box, SDK request ids
// and status codes, line breaks, JSON escaping).
type familyCase struct {
	cloud, text string
	class       Class
	code        string // "" = not checked
	source      string
}

var familyCases = []familyCase{
	// GCP regional quota in the API's plain wording → quota (block the region).
	{"gcp", `EXTERNAL: Insufficient regional quota to satisfy request for resource: "CPUS". The request requires '24.0' and is short '16.0'. The regional quota is '8.0' with '8.0' available.`, Quota, "", "amygdala/tensorflow-workshop#13"},
	{"gcp", `Insufficient regional quota to satisfy request for resource: "CPUS". The request requires '24.0' and is short '16.0'. The regional quota is '8.0' with '8.0' available.`, Quota, "", "form: bare API message"},
	{"gcp", "message: \"{\\\"ResourceType\\\":\\\"container.v1.nodePool\\\",\\\"ResourceErrorCode\\\":\\\"403\\\"\\\n   ,\\\"ResourceErrorMessage\\\":{\\\"code\\\":403,\\\"message\\\":\\\"Insufficient regional quota\\\n   \\ to satisfy request for resource: \\\\\\\"IN_USE_ADDRESSES\\\\\\\". The request requires\\\n   \\ '2.0' and is short '1.0'. The regional quota is '32.0' with '1.0' available.\\\"\\\n   ,\\\"status\\\":\\\"PERMISSION_DENIED\\\",\\\"statusMessage\\\":\\\"Forbidden\\\"}}\"", Quota, "", "kubeflow/kubeflow#842 (deployment manager, YAML-wrapped JSON)"},
	{"gcp", "Error: Error creating instance: googleapi: Error 403: Insufficient regional quota to satisfy request for resource: \"CPUS\". The request\nrequires '96.0' and is short '72.0'. The regional quota is '24.0' with '24.0' available., forbidden\n\n  with google_compute_instance.node[0],\n  on main.tf line 12", Quota, "", "form: Terraform-wrapped, line-broken, googleapi 403 forbidden"},
	{"gcp", "│ Error: Error creating instance: googleapi: Error 403: Insufficient regional\n│ quota to satisfy request for resource: \"NVIDIA_T4_GPUS\". The regional quota is '1.0' with '0.0' available., forbidden", Quota, "", "form: Terraform box prefix"},
	// A regional quota is not an all-regions quota; a *_ALL_REGIONS one is.
	{"gcp", `Quota 'GPUS_ALL_REGIONS' exceeded.  Limit: 0.0 globally.`, Quota, "", "skypilot-org/skypilot fixtures"},

	// AWS spot request status codes, bare and wrapped → spot (block the zone for spot).
	{"aws", `capacity-not-available`, Spot, "capacity-not-available", "form: bare status code"},
	{"aws", `Request sir-xxxxxxxx is capacity-not-available and failed.`, Spot, "capacity-not-available", "MozillaSecurity/FuzzManager#556"},
	{"aws", `sdcm.ec2_client.CreateSpotInstancesError: Failed to get spot instances: capacity-not-available`, Spot, "capacity-not-available", "scylladb/scylla-cluster-tests#2798"},
	{"aws", `capacity-oversubscribed: Your Spot request was not fulfilled as there is no more unused capacity available in this pool.`, Spot, "capacity-oversubscribed", "AlexsLemonade/refinebio#528"},
	{"aws", `price-too-low: Your Spot request price of 0.1294 is lower than the minimum required Spot request fulfillment price of 0.148.`, Spot, "price-too-low", "hashicorp/packer#7808"},
	{"aws", `Failed: VM spot instance creation failed because bid price is too low: {:spot_instance_request_id=>"sir-4f72563c", :spot_price=>"0.010000", :type=>"one-time", :state=>"open", :status=>{:code=>"price-too-low", :message=>"Your Spot request price of 0.01 is lower than the minimum required Spot request fulfillment price of 0.0201."}}`, Spot, "price-too-low", "cloudfoundry/bosh#585"},
	{"aws", "* aws_spot_instance_request.cheap_worker: Error while waiting for spot request ({\n  CreateTime: 2016-08-15 14:44:30 +0000 UTC,\n  LaunchSpecification: {\n    InstanceType: \"m1.small\",\n    Placement: {\n      AvailabilityZone: \"us-west-2c\",\n      GroupName: \"\"\n    }\n  },\n  SpotInstanceRequestId: \"sir-12hyb2zk\",\n  State: \"open\",\n  Status: {\n    Code: \"not-scheduled-yet\",\n    Message: \"Your Spot request will not be evaluated until the scheduled date.\"\n  }\n})", Spot, "not-scheduled-yet", "form: hashicorp/terraform#8189 request dump, status from the EC2 spot status table"},
	{"aws", "│ Error: Error while waiting for spot request ({\n│   SpotInstanceRequestId: \"sir-12hyb2zk\",\n│   Status: {\n│     Code: \"launch-group-constraint\",\n│     Message: \"The Spot request for this launch group cannot be fulfilled.\"\n│   }\n│ })", Spot, "launch-group-constraint", "form: osbuild/osbuild-composer#2056 box-prefixed dump"},
	{"aws", `Could not launch Spot Instances. UnfulfillableCapacity - Unable to fulfill capacity due to your request configuration. Please adjust your request and try again. Launching EC2 instance failed`, Spot, "UnfulfillableCapacity", "hortonworks/cloudbreak#11254"},
	{"aws", "Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 0b7c3d4e-1f2a-4b5c-8d9e-0a1b2c3d4e5f, api error SpotMaxPriceTooLow: Your Spot request price of 0.001 is lower than the minimum required Spot request fulfillment price of 0.0374.", Spot, "SpotMaxPriceTooLow", "form: provider 5.x SDK v2, aws/aws-parallelcluster-node#415 message"},
	// Not spot: a hyphenated word inside another code must not be read as a status.
	{"aws", "Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 500, RequestID: 9c1e, api error InsufficientInstanceCapacity: We currently do not have sufficient p3.2xlarge capacity in the Availability Zone you requested (us-east-1a).", Capacity, "InsufficientInstanceCapacity", "form: provider 5.x SDK v2"},

	// Azure authorizer failures → auth (stop, with the subscription fix).
	{"azure", `Error: unable to build authorizer for Resource Manager API: could not configure AzureCli Authorizer: the provided subscription ID "00000000-0000-0000-0000-000000000000" is not known by Azure CLI`, Auth, "", "hashicorp/terraform-provider-azurerm#27439"},
	{"azure", "│ Error: unable to build authorizer for Resource Manager API: could not\n│ configure AzureCli Authorizer: the provided subscription ID\n│ \"11111111-2222-3333-4444-555555555555\" is not known by Azure CLI\n│\n│   with provider[\"registry.terraform.io/hashicorp/azurerm\"],\n│   on main.tf line 18, in provider \"azurerm\":", Auth, "", "form: Terraform box, line-broken"},
	{"azure", `Error: unable to build authorizer for Resource Manager API: could not configure AzureCli Authorizer: obtaining subscription ID: obtaining account details: running Azure CLI: exit status 1: ERROR: Please run 'az login' to setup account.`, Auth, "", "form: CLI not logged in (openillumi.com troubleshooting page wording)"},
	// Stays config: the provider could not find any subscription id.
	{"azure", `Error: building account: unable to configure ResourceManagerAccount: subscription ID could not be determined and was not specified`, Config, "", "Azure/terraform-azurerm-avm-ptn-aiml-landing-zone#9"},

	// AWS: the module at fault stops even when RunInstances says so.
	{"aws", "Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 5d6e, api error InvalidParameterValue: Value (foo) for parameter groupId is invalid.", Config, "InvalidParameterValue", "form: provider 5.x SDK v2"},
	{"aws", "Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 5d6e, api error MissingParameter: The request must contain the parameter ImageId", Config, "MissingParameter", "form: provider 5.x SDK v2"},
}

func TestClassifyFamilies(t *testing.T) {
	for _, c := range familyCases {
		got := Classify(c.cloud, c.text)
		if got.Class != c.class || (c.code != "" && got.Code != c.code) {
			t.Errorf("%s (%s): got %s/%q, want %s/%q\n  %.160q", c.cloud, c.source, got.Class, got.Code, c.class, c.code, c.text)
		}
	}
}

func TestClassifyVerdictDetails(t *testing.T) {
	c := Classify("gcp", familyCases[3].text)
	if c.AllRegions {
		t.Errorf("a regional quota must block one region only: %+v", c)
	}
	c = Classify("azure", familyCases[17].text)
	for _, want := range []string{"az login", "az account set", "azure.subscription_id"} {
		if !strings.Contains(c.Fix, want) {
			t.Errorf("azure authorizer fix lacks %q: %s", want, c.Fix)
		}
	}
	c = Classify("aws", "* aws_spot_instance_request.w: Error while waiting for spot request ({ Placement: { AvailabilityZone: \"us-west-2c\" }, Status: { Code: \"capacity-not-available\" } })")
	if c.Class != Spot || c.Zone != "us-west-2c" {
		t.Errorf("spot dump: %+v", c)
	}
	// An unrecognised error from the launch call is Unknown with LaunchCall;
	// the same code elsewhere (a VPC) is not a launch problem.
	c = Classify("aws", "Error: creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 400, RequestID: 1a2b, api error VolumeTypeNotAvailableInZone: The volume type gp3 is not available in us-east-1e.")
	if c.Class != Unknown || !c.LaunchCall || c.Code != "VolumeTypeNotAvailableInZone" {
		t.Errorf("launch unknown: %+v", c)
	}
	c = Classify("aws", "Error: creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, RequestID: 1a2b, api error SomethingOdd: odd")
	if c.Class != Unknown || c.LaunchCall {
		t.Errorf("a VPC error is not a launch error: %+v", c)
	}
	if c := Classify("aws", `Error: Unsupported argument: An argument named "not_an_arg" is not expected here.`); c.LaunchCall || c.Class.FailsOver() {
		t.Errorf("a Terraform configuration error must not fail over: %+v", c)
	}
}

func TestCloudMessage(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"creating EC2 Instance: operation error EC2: RunInstances, exceeded maximum number of attempts, 2, https response error StatusCode: 500, RequestID: 3f1c2b9a-7d6e-4c5b-9a8f-1e2d3c4b5a69, api error InternalError: We encountered an internal error. Please try again.",
			"InternalError: We encountered an internal error. Please try again."},
		{"Error launching source instance: InsufficientInstanceCapacity: We currently do not have sufficient capacity.\n\tstatus code: 500, request id: 6e4c1a2b-0f3d",
			"InsufficientInstanceCapacity: We currently do not have sufficient capacity."},
		{"module.node.aws_instance.node[0]: creating EC2 Instance: api error VcpuLimitExceeded: You have requested more vCPU capacity",
			"VcpuLimitExceeded: You have requested more vCPU capacity"},
		{"performing CreateOrUpdate: unexpected status 409 (409 Conflict) with error: SkuNotAvailable: The requested VM size is currently not available in location 'eastus'.",
			"SkuNotAvailable: The requested VM size is currently not available in location 'eastus'."},
		{"googleapi: Error 403: Quota 'CPUS' exceeded.  Limit: 8.0 in region us-east1., quotaExceeded",
			"googleapi: Error 403: Quota 'CPUS' exceeded. Limit: 8.0 in region us-east1., quotaExceeded"},
	} {
		if got := CloudMessage(c.in); got != c.want {
			t.Errorf("CloudMessage(%.60q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
