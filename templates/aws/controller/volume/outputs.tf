output "volume_id" {
  description = "ID of the state volume."
  value       = aws_ebs_volume.state.id
}

output "zone" {
  description = "Availability zone of the state volume (the controller instance runs there)."
  value       = aws_ebs_volume.state.availability_zone
}
