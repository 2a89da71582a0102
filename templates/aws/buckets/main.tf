# S3 buckets for file_mounts: private (all public access blocked), encrypted
# with a customer-managed KMS key, versioned.

locals {
  tags = merge(var.labels, var.cluster_name == "" ? {} : { "skyplan-cluster" = var.cluster_name }, { "skyplan-bucket" = "true" })
}

resource "aws_kms_key" "buckets" {
  count                   = length(var.names) > 0 ? 1 : 0
  description             = "skyplan bucket encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  tags                    = local.tags
}

resource "aws_s3_bucket" "bucket" {
  for_each      = toset(var.names)
  bucket        = each.key
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = each.key })
}

resource "aws_s3_bucket_public_access_block" "bucket" {
  for_each                = toset(var.names)
  bucket                  = aws_s3_bucket.bucket[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bucket" {
  for_each = toset(var.names)
  bucket   = aws_s3_bucket.bucket[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.buckets[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "bucket" {
  for_each = toset(var.names)
  bucket   = aws_s3_bucket.bucket[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}
