output "names" {
  description = "Created bucket names, sorted."
  value       = sort(keys(local.bucket_ids))
}
