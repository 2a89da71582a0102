package optimizer

import (
	"github.com/skyplan/skyplan/cloud"
	"strings"

	"github.com/skyplan/skyplan/task"
)

const (
	defaultVCPUs         = 8
	defaultMemoryPerVCPU = 4
)

// accelHosts is the AcceleratorHosts capability of a cloud (GCP), nil
// when its accelerators come with the instance type.
func accelHosts(cloudName string) cloud.AcceleratorHosts {
	ah, _ := cloud.As[cloud.AcceleratorHosts](cloudName)
	return ah
}

// fixedHostAccelerator infers the accelerator of a fixed GPU host type.
func fixedHostAccelerator(ah cloud.AcceleratorHosts, instanceType string) *task.Accelerator {
	if name, n, ok := ah.FixedHostAccelerator(instanceType); ok {
		return &task.Accelerator{Name: name, Count: n}
	}
	return nil
}

// isDefaultFamily reports whether an instance type is among the cloud's
// default CPU families (cloud.DefaultFamilies).
func isDefaultFamily(cloudName, instanceType string) bool {
	df, ok := cloud.As[cloud.DefaultFamilies](cloudName)
	return ok && df.IsDefaultFamily(instanceType)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cpusOK and memOK apply SkyPilot's "N" (exact), "N+" (at least) and
// "Rx" (at least R GiB per vCPU) rules.
func cpusOK(q *task.Quantity, vcpus float64) bool {
	if q == nil {
		return true
	}
	if q.AtLeast {
		return vcpus >= q.Value
	}
	return vcpus == q.Value
}

func memOK(q *task.Quantity, mem, vcpus float64) bool {
	if q == nil {
		return true
	}
	switch {
	case q.PerCPU:
		return mem >= vcpus*q.Value
	case q.AtLeast:
		return mem >= q.Value
	}
	return mem == q.Value
}
