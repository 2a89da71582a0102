package aws

// EFAInstanceTypes are the AWS types that get Elastic Fabric Adapter
// networking for network_tier: best: SkyPilot's EFA_SUPPORTED_INSTANCE_TYPES
// (sky/provision/aws) plus the Trainium types the AWS module wires EFA for.
// The value is the number of network cards (one EFA interface each): the
// multi-card types have several, every other type (g4dn/g5/g6/g6e 8xlarge
// and up) one. The optimizer filters on it and the module is compiled
// from it, so the two can never disagree.
var EFAInstanceTypes = map[string]int{
	"p4d.24xlarge": 4, "p4de.24xlarge": 4,
	"p5.48xlarge": 32, "p5e.48xlarge": 32, "p5en.48xlarge": 16,
	"g4dn.8xlarge": 1, "g4dn.12xlarge": 1, "g4dn.16xlarge": 1, "g4dn.metal": 1,
	"g5.8xlarge": 1, "g5.12xlarge": 1, "g5.16xlarge": 1, "g5.24xlarge": 1, "g5.48xlarge": 1,
	"g6.8xlarge": 1, "g6.12xlarge": 1, "g6.16xlarge": 1, "g6.24xlarge": 1, "g6.48xlarge": 1,
	"g6e.8xlarge": 1, "g6e.12xlarge": 1, "g6e.16xlarge": 1, "g6e.24xlarge": 1, "g6e.48xlarge": 1,
	"trn1.32xlarge": 8, "trn1n.32xlarge": 16, "trn2.48xlarge": 16,
}

// efaText names the EFA types in messages.
const efaText = "p4d, p4de, p5*, g4dn/g5/g6/g6e 8xlarge and larger, trn1, trn1n and trn2"

// EFAInterfaces is the number of EFA interfaces of an instance type (0:
// no EFA).
func EFAInterfaces(instanceType string) int { return EFAInstanceTypes[instanceType] }
