package provision

import "regexp"

// AWS error families. Codes are EC2's API error codes (as RunInstances,
// CreateFleet and the spot APIs return them, printed by Terraform as
// "creating EC2 Instance: … api error CODE: message" or by the SDKs as
// "An error occurred (CODE) when calling …") and the spot request status
// codes EC2 reports on a spot request, which wrappers print bare.
var awsErrors = register("aws", &CloudErrors{
	Rules: []Rule{
		{Class: Config, Code: "InvalidAMIID", Pattern: `InvalidAMIID|Not authorized for images|InvalidParameter(?:Value|Combination)?\b|InvalidKeyPair|InvalidSubnet|InvalidGroup\.NotFound|InvalidBlockDeviceMapping|MissingParameter|UnknownParameter`},
		{Class: Auth, Pattern: `InvalidClientTokenId|UnauthorizedOperation|AuthFailure|SignatureDoesNotMatch|ExpiredToken|InvalidAccessKeyId|No valid credential sources|AccessDenied`},
		// Spot: API codes, then the spot request status codes
		// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-request-status.html)
		// a request holds while it cannot be fulfilled.
		{Class: Spot, Pattern: `MaxSpotInstanceCountExceeded|SpotMaxPriceTooLow|InsufficientSpotInstanceCapacity|UnfulfillableCapacity|[Nn]o Spot capacity|Could not launch Spot|SpotInstanceCountExceeded|` +
			`\b(capacity-not-available|capacity-oversubscribed|price-too-low|not-scheduled-yet|launch-group-constraint|az-group-constraint|placement-group-constraint|constraint-not-fulfillable)\b`},
		{Class: Transient, Code: "RequestLimitExceeded", Pattern: `RequestLimitExceeded|[Rr]equest limit exceeded|Throttling|ServiceUnavailable|ServerInternal|InternalError|\bUnavailable\b`},
		{Class: Quota, Pattern: `VcpuLimitExceeded|InstanceLimitExceeded|AddressLimitExceeded|VpcLimitExceeded|exceeds your current limit|[Yy]our quota allows`},
		{Class: Capacity, Pattern: `InsufficientInstanceCapacity|InsufficientCapacityOnHost|InsufficientHostCapacity|(Unsupported)(?::| -|\))|[Ii]nsufficient capacity|has insufficient capacity`},
	},
	Zone:       regexp.MustCompile(`Availability Zone(?: you requested)? \(([a-z]{2}-[a-z]+-\d[a-z])\)|AvailabilityZone: "?([a-z]{2}-[a-z]+-\d[a-z])\b`),
	LaunchCall: regexp.MustCompile(`\b(?:RunInstances|CreateFleet|RequestSpotInstances)\b|creating EC2 (?:Instance|Fleet|Spot Instance Request)|[Ee]rror launching source instance|[Ee]rror requesting spot instances`),
	CodeOf:     regexp.MustCompile(`api error ([A-Z][\w.]+):|An error occurred \(([\w.]+)\)|(?:^|: )([A-Z][a-z]+[A-Z][A-Za-z]+(?:\.[A-Za-z]+)?): `),
	Fix: map[Class]string{
		Auth: "check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, `aws sts get-caller-identity`) and the IAM permissions for EC2",
	},
})
