package task

import (
	"reflect"
	"testing"
)

func TestParseSizes(t *testing.T) {
	good := map[string]float64{"256": 256, "256GB": 256, "256gb": 256, "1TB": 1024, "1 TB": 1024, "512MB": 0.5,
		"2Ti": 2048, "1PB": 1 << 20, "1.5G": 1.5, "1048576KB": 1}
	for in, want := range good {
		if got, err := ParseSizeGB(in); err != nil || got != want {
			t.Errorf("ParseSizeGB(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1", "1e3", "0x10", "inf", "NaN", "1XB", "1.2.3GB", "12 34"} {
		if _, err := ParseSizeGB(in); err == nil {
			t.Errorf("ParseSizeGB(%q) accepted", in)
		}
	}
	if n, err := ParseDiskSize("1.9TB"); err != nil || n != 1945 {
		t.Errorf("ParseDiskSize(1.9TB) = %d, %v", n, err)
	}
	for _, in := range []string{"0", "0.5", "100MB", "x"} {
		if _, err := ParseDiskSize(in); err == nil {
			t.Errorf("ParseDiskSize(%q) accepted", in)
		}
	}
}

func TestParseCPUsAndMemory(t *testing.T) {
	cpus := map[string]Quantity{"8": {Value: 8}, "8+": {Value: 8, AtLeast: true}, "0.5": {Value: 0.5}, " 2+ ": {Value: 2, AtLeast: true}}
	for in, want := range cpus {
		if q, err := ParseCPUs(in); err != nil || *q != want {
			t.Errorf("ParseCPUs(%q) = %v, %v", in, q, err)
		}
	}
	for _, in := range []string{"", "+", "0", "-1", "8x", "8++", "eight"} {
		if _, err := ParseCPUs(in); err == nil {
			t.Errorf("ParseCPUs(%q) accepted", in)
		}
	}
	mem := map[string]Quantity{"32": {Value: 32}, "32+": {Value: 32, AtLeast: true}, "64GB+": {Value: 64, AtLeast: true},
		"4x": {Value: 4, PerCPU: true}, "4X+": {Value: 4, PerCPU: true, AtLeast: true}, "2TB": {Value: 2048}}
	for in, want := range mem {
		if q, err := ParseMemory(in); err != nil || *q != want {
			t.Errorf("ParseMemory(%q) = %v, %v", in, q, err)
		}
	}
	for _, in := range []string{"", "0", "x", "0x", "16QB", "-4"} {
		if _, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) accepted", in)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]int{"0": 0, "10": 10, "10m": 10, "10h": 600, "10H": 600, "2d": 2880, "1w": 10080}
	for in, want := range good {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "h", "10s", "-1", "1.5h", "10 h", "999999999w"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestParsePorts(t *testing.T) {
	got, err := ParsePorts([]string{"8080", "10052-10100", "8081", "10000-10060", "22", "23"})
	want := []PortRange{{22, 23}, {8080, 8081}, {10000, 10100}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParsePorts = %v, %v; want %v", got, err, want)
	}
	for _, in := range []string{"0", "65536", "a", "5-3", "1-", "-1", "1-2-3", "80-70000"} {
		if _, err := ParsePorts([]string{in}); err == nil {
			t.Errorf("ParsePorts(%q) accepted", in)
		}
	}
}

func TestParseInfra(t *testing.T) {
	good := map[string]Infra{"aws": {Cloud: "aws"}, "GCP/us-central1": {Cloud: "gcp", Region: "us-central1"},
		"azure/eastus": {Cloud: "azure", Region: "eastus"}, "aws/us-east-1/us-east-1a": {"aws", "us-east-1", "us-east-1a"},
		"*": {}, "*/us-east-1": {Region: "us-east-1"}, "aws/*/us-east-1a": {Cloud: "aws", Zone: "us-east-1a"},
		"k8s": {Cloud: "kubernetes"}, "kubernetes/ctx/a": {Cloud: "kubernetes", Region: "ctx/a"}, "ssh/pool": {Cloud: "ssh", Region: "pool"}}
	for in, want := range good {
		if got, err := ParseInfra(in); err != nil || got != want {
			t.Errorf("ParseInfra(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "aws//x", "/aws", "aws/a/b/c", "amazon"} {
		if _, err := ParseInfra(in); err == nil {
			t.Errorf("ParseInfra(%q) accepted", in)
		}
	}
}

func TestCanonicalAccelerator(t *testing.T) {
	for in, want := range map[string]string{"a10g": "A10G", "v100": "V100", "TPU-V5LITEPOD-8": "tpu-v5litepod-8", "inferentia2": "Inferentia2", "TRAINIUM": "Trainium"} {
		if got, _, ok := CanonicalAccelerator(in, testAccelerators); !ok || got != want {
			t.Errorf("CanonicalAccelerator(%q) = %q, %v", in, got, ok)
		}
	}
	if _, sugg, ok := CanonicalAccelerator("H10", testAccelerators); ok || len(sugg) == 0 || sugg[0] != "H100" {
		t.Errorf("H10 suggestions = %v", sugg)
	}
	if got, _, ok := CanonicalAccelerator("TPU-V9-8", nil); !ok || got != "tpu-v9-8" {
		t.Errorf("nil list: %q", got)
	}
}
