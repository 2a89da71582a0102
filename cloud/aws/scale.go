package aws

import (
	"fmt"

	"github.com/skyplan/skyplan/diag"
)

// What a cluster's network and an account's default quotas hold. The
// module's VPC is 10.0.0.0/16 (templates/aws/main.tf) and its one subnet
// starts at 10.0.0.0; AWS keeps five addresses of every subnet.
const (
	vpcPrefix       = 16
	minSubnetPrefix = 20 // the smallest subnet skyplan creates: 4091 addresses
	subnetReserved  = 5

	// Default per-region quotas of an account (Service Quotas codes).
	defaultEIPQuota = 5    // EC2-VPC Elastic IPs, L-0263D0A3
	defaultENIQuota = 5000 // network interfaces per Region, L-DF5E4CA3
)

// interfacesPerNode is the private addresses a node takes: one per EFA
// interface (each an ENI, the first the primary), else its primary ENI.
func interfacesPerNode(efa int) int {
	if efa > 0 {
		return efa
	}
	return 1
}

// subnetCapacity is the usable addresses of a subnet with this prefix.
func subnetCapacity(prefix int) int { return 1<<(32-prefix) - subnetReserved }

// clusterNetwork sizes the cluster's subnet from the node and interface
// count (a /20 by default, larger up to the whole /16 VPC) and checks the
// cluster against the account's default quotas: an error when no subnet of
// the VPC can hold it, warnings (located at num_nodes) when it needs more
// Elastic IPs or network interfaces than a new account may create.
func clusterNetwork(nodes, efa int, privateIP bool) (string, diag.Diagnostics) {
	var ds diag.Diagnostics
	per := interfacesPerNode(efa)
	need := nodes * per
	prefix := minSubnetPrefix
	for prefix > vpcPrefix && subnetCapacity(prefix) < need {
		prefix--
	}
	if subnetCapacity(prefix) < need {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Field: "num_nodes", Summary: "Cluster too large for one subnet",
			Detail: fmt.Sprintf("%d nodes × %d network interfaces need %d private addresses; the cluster's VPC (10.0.0.0/16) holds at most %d in one subnet, so at most %d such nodes. Use fewer nodes, or an instance type with fewer EFA interfaces.",
				nodes, per, need, subnetCapacity(vpcPrefix), subnetCapacity(vpcPrefix)/per)})
		return "", ds
	}
	if efa > 0 && !privateIP && nodes > defaultEIPQuota {
		ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Field: "num_nodes", Summary: "More Elastic IPs than the default quota",
			Detail: fmt.Sprintf("EFA nodes get their public address as an Elastic IP (one each; AWS assigns none automatically to an instance with several interfaces): this cluster needs %d, and an account's default quota is %d per region (Service Quotas L-0263D0A3, shared with every other Elastic IP). Request an increase before applying, or set aws.use_internal_ips and reach the nodes through a proxy or VPN.", nodes, defaultEIPQuota)})
	}
	if need > defaultENIQuota {
		ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Field: "num_nodes", Summary: "More network interfaces than the default quota",
			Detail: fmt.Sprintf("%d nodes × %d network interfaces are %d; an account's default quota is %d per region (Service Quotas L-DF5E4CA3). Request an increase before applying.", nodes, per, need, defaultENIQuota)})
	}
	return fmt.Sprintf("10.0.0.0/%d", prefix), ds
}
