package cloud

// Egress is a cloud that charges for data leaving it (SkyPilot's
// clouds/*.py get_egress_cost). Clouds without it move data for free.
type Egress interface {
	// EgressCost is the dollar cost of moving gb gigabytes out.
	EgressCost(gb float64) float64
}

// EgressCost is the egress price of gb gigabytes out of the cloud called
// name (0 for clouds without an Egress table, and for gb <= 0).
func EgressCost(name string, gb float64) float64 {
	if gb <= 0 {
		return 0
	}
	if e, ok := As[Egress](name); ok {
		return e.EgressCost(gb)
	}
	return 0
}

// TieredEgress applies the AWS/Azure marginal tiers: 0-1 GB free, 1 GB-10
// TB at first, 10-50 TB at second, 50-150 TB at third; above 150 TB the
// whole volume is billed at $0.05/GB.
func TieredEgress(gb, first, second, third float64) float64 {
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
