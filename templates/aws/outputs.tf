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

output "zone" {
  description = "Name of the availability zone the nodes are in, as this account names zone_id (it may differ from zone)."
  value       = local.zone
}

output "ssh_user" {
  description = "Login user on every node."
  value       = var.ssh_user
}

output "buckets" {
  description = "Names of the buckets created with the cluster."
  value       = module.buckets.names
}

output "network" {
  description = "The cluster's network: VPC and subnet IDs (created, or the existing vpc_name/subnet_name)."
  value = {
    vpc_id    = local.vpc_id
    subnet_id = local.subnet_id
  }
}

output "security_group_id" {
  description = "ID of the cluster's security group (SSH, task ports, intra-cluster traffic)."
  value       = aws_security_group.cluster.id
}

output "key_pair_id" {
  description = "ID of the key pair holding skyplan's SSH public key."
  value       = aws_key_pair.cluster.key_pair_id
}
