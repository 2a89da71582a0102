output "names" {
  description = "Created bucket names, sorted."
  value       = sort([for b in google_storage_bucket.bucket : b.name])
}
