package cloud

// DefaultFamilies is a cloud whose instance types are chosen from default
// CPU families when a task names neither an instance type nor an
// accelerator (SkyPilot's _DEFAULT_INSTANCE_FAMILY).
type DefaultFamilies interface {
	IsDefaultFamily(instanceType string) bool
	// DefaultFamiliesText names the families in messages ("m6i/c6i/...").
	DefaultFamiliesText() string
}

// Tiers is a cloud that restricts which instance types take a disk_tier
// or network_tier (SkyPilot's per-cloud feasibility checks). A reason ""
// means the type can.
type Tiers interface {
	DiskTierReason(instanceType string, vcpus float64, tier string) string
	NetworkTierReason(instanceType, tier string) string
}

// AcceleratorHosts is a cloud that prices accelerators apart from the VMs
// they attach to (GCP): its catalog's accelerator rows carry no instance
// type, a node costs host + accelerator, and which hosts an accelerator
// runs on is the cloud's rule.
type AcceleratorHosts interface {
	// FixedHosts is, per count, the only host types accelerator name runs
	// on (nil: it attaches to general hosts, see AttachesTo).
	FixedHosts(name string) map[float64][]string
	// FixedHostAccelerator infers the accelerator a fixed host type carries.
	FixedHostAccelerator(instanceType string) (name string, count float64, ok bool)
	// AttachesTo reports whether a general host type takes attached accelerators.
	AttachesTo(instanceType string) bool
	// DefaultHostCPUs is the default host vCPU count per accelerator count
	// of name on a general host.
	DefaultHostCPUs(name string) map[float64]float64
	// TPUVMType is the pseudo instance type of TPU VMs (the host is free);
	// TPUNodeHost is the host type that carries a TPU node (tpu_vm: false).
	TPUVMType() string
	TPUNodeHost() string
	// TPUVMShape is what a TPU VM host has, for cpus/memory checks.
	TPUVMShape(name string) (vcpus, mem float64)
}

// LabelRules is a cloud that restricts task labels (AWS tags, GCP labels);
// clouds without it ignore labels, like SkyPilot.
type LabelRules interface {
	LabelValid(key, value string) bool
	// LabelRule says what a valid label is, for the error message.
	LabelRule() string
}

// TPUHosts returns the registered clouds that run TPUs (those whose
// accelerators attach to hosts and have a TPU VM type), in registry order.
func TPUHosts() []string {
	var out []string
	for _, name := range With[AcceleratorHosts]() {
		if ah, _ := As[AcceleratorHosts](name); ah.TPUVMType() != "" {
			out = append(out, name)
		}
	}
	return out
}
