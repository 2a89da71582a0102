locals {
  # A TPU pod slice is one TPU VM with several hosts: every host is a node,
  # ranked VM by VM, host by host, so rank 0 is the first host of VM 0.
  vm_nodes = [for i, n in google_compute_instance.node : {
    instance_id = n.name
    private_ip  = n.network_interface[0].network_ip
    public_ip   = length(n.network_interface[0].access_config) > 0 ? n.network_interface[0].access_config[0].nat_ip : ""
    zone        = n.zone
  }]
  tpu_nodes = flatten([for n in google_tpu_v2_vm.node : [for h, e in n.network_endpoints : {
    instance_id = "${n.name}/${h}"
    private_ip  = e.ip_address
    public_ip   = length(e.access_config) > 0 ? e.access_config[0].external_ip : ""
    zone        = n.zone
  }]])
  all_nodes = local.tpu ? local.tpu_nodes : local.vm_nodes
}

output "nodes" {
  description = "One entry per node (per host for TPU pod slices) in rank order; rank 0 is the head."
  value = [for i, n in local.all_nodes : {
    rank        = i
    instance_id = n.instance_id
    private_ip  = n.private_ip
    public_ip   = n.public_ip == null ? "" : n.public_ip
    zone        = n.zone
    ssh_user    = var.ssh_user
  }]
}

output "ssh_user" {
  description = "Login user on every node."
  value       = var.ssh_user
}

output "buckets" {
  description = "Names of the buckets created with the cluster."
  value       = module.buckets.names
}
