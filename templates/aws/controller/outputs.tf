output "nodes" {
  description = "The controller as a one-node cluster (same shape as a cluster's nodes output)."
  value = [{
    rank        = 0
    instance_id = aws_instance.controller.id
    private_ip  = data.aws_instance.controller.private_ip
    public_ip   = data.aws_instance.controller.public_ip == null ? "" : data.aws_instance.controller.public_ip
    zone        = aws_instance.controller.availability_zone
    ssh_user    = var.ssh_user
  }]
}

output "ssh_user" {
  description = "Login user of the controller."
  value       = var.ssh_user
}

output "state_volume_id" {
  description = "The attached state volume."
  value       = aws_volume_attachment.state.volume_id
}

output "state_mount" {
  description = "Mount point of the state volume; the daemon's SKYPLAN_HOME is state_mount/home."
  value       = var.state_mount
}

output "serve_ports" {
  description = "Port ranges open to serve_allowed_cidrs (service endpoints)."
  value       = var.serve_ports
}

output "instance_profile" {
  description = "Instance profile that gives the controller its cloud permissions."
  value       = aws_iam_instance_profile.controller.name
}

output "node_permissions_boundary" {
  description = "ARN of the permissions boundary every node role the controller creates must carry."
  value       = aws_iam_policy.node_boundary.arn
}
