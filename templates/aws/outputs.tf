output "nodes" {
  description = "One entry per node in rank order (rank 0 is the head)."
  value = [for i, n in aws_instance.node : {
    rank        = i
    instance_id = n.id
    private_ip  = n.private_ip
    public_ip   = local.use_efa ? (var.use_private_ip ? "" : aws_eip.efa[i].public_ip) : (n.public_ip == null ? "" : n.public_ip)
    zone        = n.availability_zone
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
