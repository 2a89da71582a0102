output "nodes" {
  description = "One entry per node in rank order (rank 0 is the head)."
  value = [for i, n in azurerm_linux_virtual_machine.node : {
    rank        = i
    instance_id = n.id
    private_ip  = n.private_ip_address
    public_ip   = var.use_private_ip ? "" : azurerm_public_ip.node[i].ip_address
    zone        = var.location
    ssh_user    = var.ssh_user
  }]
}

output "ssh_user" {
  description = "Login user on every node."
  value       = var.ssh_user
}

output "buckets" {
  description = "Names of the containers created with the cluster."
  value       = module.buckets.names
}
