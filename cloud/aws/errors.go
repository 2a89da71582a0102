package aws

import (
	"regexp"

	"github.com/skyplan/skyplan/cloud"
)

// AWS error families. Codes are EC2's API error codes (as RunInstances,
// CreateFleet and the spot APIs return them, printed by Terraform as
// "creating EC2 Instance: … api error CODE: message" or by the SDKs as
// "An error occurred (CODE) when calling …") and the spot request status
// codes EC2 reports on a spot request, which wrappers print bare.
var errorTable = &cloud.ErrorTable{
	Rules: []cloud.ErrorRule{
		{Class: cloud.Config, Code: "InvalidAMIID", Pattern: `InvalidAMIID|Not authorized for images|InvalidParameter(?:Value|Combination)?\b|InvalidKeyPair|InvalidSubnet|InvalidGroup\.NotFound|InvalidBlockDeviceMapping|MissingParameter|UnknownParameter`},
		{Class: cloud.Auth, Pattern: `InvalidClientTokenId|UnauthorizedOperation|AuthFailure|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId|No valid credential sources|AccessDenied`},
		// Spot: API codes, then the spot request status codes
		// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-request-status.html)
		// a request holds while it cannot be fulfilled.
		{Class: cloud.Spot, Pattern: `MaxSpotInstanceCountExceeded|SpotMaxPriceTooLow|InsufficientSpotInstanceCapacity|UnfulfillableCapacity|[Nn]o Spot capacity|Could not launch Spot|SpotInstanceCountExceeded|` +
			`\b(capacity-not-available|capacity-oversubscribed|price-too-low|not-scheduled-yet|launch-group-constraint|az-group-constraint|placement-group-constraint|constraint-not-fulfillable)\b`},
		{Class: cloud.Transient, Code: "RequestLimitExceeded", Pattern: `RequestLimitExceeded|[Rr]equest limit exceeded|Throttling|ServiceUnavailable|ServerInternal|InternalError|\bUnavailable\b`},
		{Class: cloud.Quota, Pattern: `VcpuLimitExceeded|InstanceLimitExceeded|AddressLimitExceeded|VpcLimitExceeded|exceeds your current limit|[Yy]our quota allows`},
		{Class: cloud.Capacity, Pattern: `InsufficientInstanceCapacity|InsufficientCapacityOnHost|InsufficientHostCapacity|(Unsupported)(?::| -|\))|[Ii]nsufficient capacity|has insufficient capacity`},
	},
	Zone:       regexp.MustCompile(`Availability Zone(?: you requested)? \(([a-z]{2}-[a-z]+-\d[a-z])\)|AvailabilityZone: "?([a-z]{2}-[a-z]+-\d[a-z])\b`),
	LaunchCall: regexp.MustCompile(`\b(?:RunInstances|CreateFleet|RequestSpotInstances)\b|creating EC2 (?:Instance|Fleet|Spot Instance Request)|[Ee]rror launching source instance|[Ee]rror requesting spot instances`),
	CodeOf:     regexp.MustCompile(`api error ([A-Z][\w.]+):|An error occurred \(([\w.]+)\)|(?:^|: )([A-Z][a-z]+[A-Z][A-Za-z]+(?:\.[A-Za-z]+)?): `),
	Fix: map[cloud.ErrorClass]string{
		cloud.Auth: "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, `aws sts get-caller-identity`) and the IAM permissions for EC2",
	},
}

// ErrorTable is the classifier's table of the cloud's provisioning errors.
func (Cloud) ErrorTable() *cloud.ErrorTable { return errorTable }
