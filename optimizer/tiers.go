package optimizer

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"strings"

	"github.com/skyplan/skyplan/task"
)

// tierReason says why an instance type of a cloud cannot serve the
// request's disk_tier / network_tier ("" = it can). The optimizer drops
// such types before picking the cheapest, like SkyPilot's per-cloud
// feasibility checks.
func tierReason(cloudName string, hc hostChoice, r *task.Resources) string {
	t, ok := cloud.As[cloud.Tiers](cloudName)
	if !ok {
		return ""
	}
	if reason := t.DiskTierReason(hc.instanceType, hc.vcpus, r.DiskTier); reason != "" {
		return reason
	}
	return t.NetworkTierReason(hc.instanceType, r.NetworkTier)
}

// filterTiers drops the choices that cannot take the request's tiers; when
// none is left it returns the reason of the cheapest.
func filterTiers(cloud string, choices []hostChoice, r *task.Resources) ([]hostChoice, string) {
	if r.DiskTier == "" && r.NetworkTier == "" {
		return choices, ""
	}
	var ok []hostChoice
	for _, hc := range choices {
		if tierReason(cloud, hc, r) == "" {
			ok = append(ok, hc)
		}
	}
	if len(ok) == 0 {
		return nil, tierReason(cloud, choices[0], r)
	}
	return ok, ""
}

// localDiskText explains refusing local_disk: SkyPilot filters AWS types on the
// catalog's LocalDiskType/NVMeSupported/LocalDiskSize/LocalDiskCount
// columns, which the bundled catalog does not carry, so skyplan cannot
// tell which types have instance storage. Ignoring the field would plan
// a node without the disk the task expects.
func localDiskText(r *task.Resources) string {
	return fmt.Sprintf("local_disk (%q) is not supported by the bundled catalog: it has no LocalDiskType, NVMeSupported, LocalDiskSize or LocalDiskCount columns, so skyplan cannot tell which instance types have instance storage. Remove local_disk, or name an instance type with local NVMe storage instead (e.g. instance_type: m6id.2xlarge).", r.LocalDisk)
}

// multipleTypesHint is SkyPilot's "🔍 Multiple AWS instances satisfy
// L4:1. The cheapest ... is considered among: ..." note: only the cheapest
// type of a cloud becomes placements.
func multipleTypesHint(cloudName string, r *task.Resources, choices []hostChoice) string {
	if len(choices) < 2 || r.Accelerator == nil || r.InstanceType != "" {
		return ""
	}
	names := make([]string, 0, len(choices))
	seen := map[string]bool{}
	for _, hc := range choices {
		if !seen[hc.instanceType] {
			seen[hc.instanceType] = true
			names = append(names, hc.instanceType)
		}
	}
	if len(names) < 2 {
		return ""
	}
	const show = 10
	more := ""
	if len(names) > show {
		more = fmt.Sprintf(", … (%d more)", len(names)-show)
		names = names[:show]
	}
	return fmt.Sprintf("Multiple %s instances satisfy %s. The cheapest %s is considered among: %s%s.",
		cloud.DisplayName(cloudName), accText(r.Accelerator), names[0], strings.Join(names, ", "), more)
}
