package gcp

import (
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

var _ cloud.AcceleratorHosts = Cloud{}

const (
	// TPUVM is GCP's pseudo instance type for TPU VMs; the host is free.
	TPUVM = "TPU-VM"
	// tpuNodeHost carries a TPU node (tpu_vm: false), as in SkyPilot.
	tpuNodeHost = "n1-highmem-8"
)

// gpuHostPrefixes: GCP GPUs other than the fixed-host ones attach to N1 VMs.
var gpuHostPrefixes = []string{"n1-standard-", "n1-highmem-", "n1-highcpu-"}

// fixedHosts maps accelerator → count → the only host types it runs on.
var fixedHosts = map[string]map[float64][]string{
	"A100":      {1: {"a2-highgpu-1g"}, 2: {"a2-highgpu-2g"}, 4: {"a2-highgpu-4g"}, 8: {"a2-highgpu-8g"}, 16: {"a2-megagpu-16g"}},
	"A100-80GB": {1: {"a2-ultragpu-1g"}, 2: {"a2-ultragpu-2g"}, 4: {"a2-ultragpu-4g"}, 8: {"a2-ultragpu-8g"}},
	"L4": {
		1: {"g2-standard-4", "g2-standard-8", "g2-standard-12", "g2-standard-16", "g2-standard-32"},
		2: {"g2-standard-24"}, 4: {"g2-standard-48"}, 8: {"g2-standard-96"},
	},
	"H100":      {1: {"a3-highgpu-1g"}, 2: {"a3-highgpu-2g"}, 4: {"a3-highgpu-4g"}, 8: {"a3-highgpu-8g"}},
	"H100-MEGA": {8: {"a3-megagpu-8g"}},
	"H200":      {8: {"a3-ultragpu-8g"}},
	"B200":      {8: {"a4-highgpu-8g"}},
}

// n1DefaultCPUs is the default host vCPU count per GPU count on N1.
var n1DefaultCPUs = map[string]map[float64]float64{
	"K80":     {1: 4, 2: 8, 4: 16, 8: 32, 16: 64},
	"V100":    {1: 8, 2: 16, 4: 32, 8: 64},
	"T4":      {1: 4, 2: 8, 4: 48},
	"P100":    {1: 8, 2: 16, 4: 32, 8: 64},
	"DEFAULT": {1: 8, 2: 16, 4: 32, 8: 64, 16: 128},
}

func (Cloud) FixedHosts(name string) map[float64][]string { return fixedHosts[name] }

func (Cloud) FixedHostAccelerator(instanceType string) (string, float64, bool) {
	for name, counts := range fixedHosts {
		for n, types := range counts {
			for _, t := range types {
				if t == instanceType {
					return name, n, true
				}
			}
		}
	}
	return "", 0, false
}

func (Cloud) AttachesTo(instanceType string) bool { return hasAnyPrefix(instanceType, gpuHostPrefixes) }

func (Cloud) DefaultHostCPUs(name string) map[float64]float64 {
	if t := n1DefaultCPUs[name]; t != nil {
		return t
	}
	return n1DefaultCPUs["DEFAULT"]
}

func (Cloud) TPUVMType() string   { return TPUVM }
func (Cloud) TPUNodeHost() string { return tpuNodeHost }

// TPUVMShape is what SkyPilot assumes a TPU VM host has.
func (Cloud) TPUVMShape(acc string) (vcpus, mem float64) {
	if strings.HasPrefix(strings.ToLower(acc), "tpu-v4") {
		return 240, 400
	}
	return 96, 334
}
