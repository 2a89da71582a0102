package pipeline

import (
	"math"
	"testing"
)

func TestEgressCostTables(t *testing.T) {
	const tb = 1024.0
	cases := []struct {
		cloud string
		gb    float64
		want  float64
	}{
		{"aws", 0, 0},
		{"aws", 1, 0},   // first GB free
		{"aws", 101, 9}, // 100 GB × $0.09
		{"aws", 10 * tb, (10*tb - 1) * 0.09},
		{"aws", 20 * tb, (10*tb-1)*0.09 + 10*tb*0.085},
		{"aws", 100 * tb, (10*tb-1)*0.09 + 40*tb*0.085 + 50*tb*0.07},
		{"aws", 200 * tb, 200 * tb * 0.05}, // whole volume at $0.05
		{"azure", 11, 10 * 0.0875},
		{"azure", 20 * tb, (10*tb-1)*0.0875 + 10*tb*0.083},
		{"gcp", 100, 12},
		{"gcp", 1024, 1024 * 0.12},
		{"gcp", 1025, 1025 * 0.11}, // whole volume moves to the next tier
		{"gcp", 20 * tb, 20 * tb * 0.08},
		{"ssh", 500, 0},
	}
	for _, c := range cases {
		if got := EgressCost(c.cloud, c.gb); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("EgressCost(%s, %g) = %.4f, want %.4f", c.cloud, c.gb, got, c.want)
		}
	}
}

func TestTransferHours(t *testing.T) {
	// 450 GB at 10 Gbps: 3600 Gbit / 10 = 360 s = 0.1 h.
	if got := TransferHours(450, 0); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("default bandwidth: %v", got)
	}
	if got := TransferHours(450, 1); math.Abs(got-1) > 1e-12 {
		t.Errorf("1 Gbps: %v", got)
	}
}

func TestBucketCloud(t *testing.T) {
	for uri, want := range map[string]string{
		"s3://raw-data/imagenet":                    "aws",
		"gs://my-bucket/tfrecords/":                 "gcp",
		"https://acct.blob.core.windows.net/c/data": "azure",
		"HTTPS://Acct.Blob.Core.Windows.Net/c":      "azure",
		"https://example.com/data.tar":              "",
		"/local/path":                               "",
		"r2://bucket":                               "",
	} {
		if got := BucketCloud(uri); got != want {
			t.Errorf("BucketCloud(%q) = %q, want %q", uri, got, want)
		}
	}
}
