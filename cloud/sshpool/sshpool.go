// Package sshpool is skyplan's SSH node pools as a cloud: machines the user
// already has (~/.skyplan/ssh_node_pools.yaml), one pool per "region".
// Nothing is provisioned, stopped or priced: it has an identity only, and
// NodePools marks it for callers that skip Terraform.
package sshpool

import "github.com/skyplan/skyplan/cloud"

// Cloud is the SSH node pools.
type Cloud struct{}

var _ interface {
	cloud.Cloud
	cloud.NodePools
} = Cloud{}

func (Cloud) Name() string        { return "ssh" }
func (Cloud) DisplayName() string { return "SSH" }

// DefaultSSHUser is empty: every pool names its user.
func (Cloud) DefaultSSHUser() string { return "" }

// NodePools: the cloud's "regions" are the user's pools.
func (Cloud) NodePools() bool { return true }
