package pipeline

import (
	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds egress is priced for
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

// DefaultBandwidthGbps is the assumed transfer rate between clouds, as in
// SkyPilot's optimizer (_egress_time: GB × 8 / 10 Gbps).
const DefaultBandwidthGbps = 10

// EgressCost is the dollar cost of moving gb gigabytes out of cloud, using
// SkyPilot's per-cloud tables (each cloud's cloud.Egress capability). They
// price one transfer as if it were the month's whole volume, which is what
// SkyPilot does too. Clouds without a table (ssh pools, unknown) are free.
func EgressCost(cloudName string, gb float64) float64 {
	return cloud.EgressCost(strings.ToLower(cloudName), gb)
}

// TransferHours is the time to move gb gigabytes at gbps gigabits/s.
func TransferHours(gb, gbps float64) float64 {
	if gb <= 0 {
		return 0
	}
	if gbps <= 0 {
		gbps = DefaultBandwidthGbps
	}
	return gb * 8 / gbps / 3600
}

// BucketCloud names the cloud that stores a bucket URI: the cloud whose
// own store owns it (s3:// is AWS, gs:// is GCP, https://ACCOUNT.blob.core.
// windows.net/... and az:// are Azure). Other URIs (local paths, r2://,
// cos://) return "": no egress is charged.
func BucketCloud(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return ""
	}
	st, ok := cloud.StoreOfURI(strings.ToLower(scheme) + "://" + rest)
	if !ok {
		return ""
	}
	return cloud.StoreCloud(st.Name())
}
