package pipeline

import (
	"net/url"
	"strings"
)

// DefaultBandwidthGbps is the assumed transfer rate between clouds, as in
// SkyPilot's optimizer (_egress_time: GB × 8 / 10 Gbps).
const DefaultBandwidthGbps = 10

// EgressCost is the dollar cost of moving gb gigabytes out of cloud, using
// SkyPilot's per-cloud tables (clouds/{aws,gcp,azure}.py get_egress_cost).
// They price one transfer as if it were the month's whole volume, which is
// what SkyPilot does too. Clouds without a table (ssh pools, unknown) are free.
func EgressCost(cloud string, gb float64) float64 {
	if gb <= 0 {
		return 0
	}
	switch strings.ToLower(cloud) {
	case "aws":
		// AWS (from US East): first GB free, $0.09 to 10 TB, $0.085 to 50 TB,
		// $0.07 to 150 TB, and a flat $0.05 for everything above 150 TB.
		return tieredEgress(gb, 0.09, 0.085, 0.07)
	case "azure":
		// Azure (from US East): same shape, $0.0875 / $0.083 / $0.07 / $0.05.
		return tieredEgress(gb, 0.0875, 0.083, 0.07)
	case "gcp":
		// GCP prices the whole volume at the tier it falls in (not marginal
		// tiers): $0.12/GB up to 1 TB, $0.11 up to 10 TB, $0.08 beyond.
		switch {
		case gb <= 1024:
			return 0.12 * gb
		case gb <= 10*1024:
			return 0.11 * gb
		default:
			return 0.08 * gb
		}
	}
	return 0
}

// tieredEgress applies SkyPilot's AWS/Azure marginal tiers: 0-1 GB free,
// 1 GB-10 TB at first, 10-50 TB at second, 50-150 TB at third; above
// 150 TB the whole volume is billed at $0.05.
func tieredEgress(gb, first, second, third float64) float64 {
	const tb = 1024.0
	if gb > 150*tb {
		return 0.05 * gb
	}
	cost := 0.0
	if gb >= 50*tb {
		cost += (gb - 50*tb) * third
		gb = 50 * tb
	}
	if gb >= 10*tb {
		cost += (gb - 10*tb) * second
		gb = 10 * tb
	}
	if gb > 1 {
		cost += (gb - 1) * first
	}
	return cost
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

// BucketCloud names the cloud that stores a bucket URI: s3:// is AWS, gs://
// is GCP, https://ACCOUNT.blob.core.windows.net/... (and az://) is Azure.
// Other URIs (local paths, r2://, cos://) return "": no egress is charged.
func BucketCloud(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "s3":
		return "aws"
	case "gs", "gcs":
		return "gcp"
	case "az", "azure":
		return "azure"
	case "https", "http":
		if strings.HasSuffix(strings.ToLower(u.Hostname()), ".blob.core.windows.net") {
			return "azure"
		}
	}
	return ""
}
