output "names" {
  description = "Created bucket names, sorted."
  value       = sort([for b in aws_s3_bucket.bucket : b.bucket])
}
