package cloud

// NodePools is a cloud made of machines the user already has (SSH node
// pools): no catalog, no Terraform, nothing to stop or delete; its regions
// are pool names.
type NodePools interface {
	NodePools() bool
}

// IsNodePool reports whether the cloud called name is made of node pools.
func IsNodePool(name string) bool {
	p, ok := As[NodePools](name)
	return ok && p.NodePools()
}
