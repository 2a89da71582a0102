# S3 buckets for file_mounts: private (all public access blocked), encrypted
# with a customer-managed KMS key, versioned.
#
# Persistent buckets (the separate buckets/ root, var.persistent) and the
# KMS key encrypting them carry lifecycle.prevent_destroy: a destroy of that
# root, or a plan that would replace them, fails instead of deleting the
# user's data. Terraform's lifecycle arguments cannot follow a variable,
# hence one resource for each kind, chosen by for_each/count.

locals {
  persistent = var.persistent ? toset(var.names) : toset([])
  ephemeral  = var.persistent ? toset([]) : toset(var.names)
  tags = merge(var.labels, var.cluster_name == "" ? {} : { "skyplan-cluster" = var.cluster_name }, { "skyplan-bucket" = "true" },
  var.persistent ? { "skyplan-persistent" = "true" } : {})

  bucket_ids = merge({ for k, b in aws_s3_bucket.bucket : k => b.id }, { for k, b in aws_s3_bucket.persistent : k => b.id })
}

resource "aws_kms_key" "buckets" {
  count                   = length(local.ephemeral) > 0 ? 1 : 0
  description             = "skyplan bucket encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  tags                    = local.tags
}

resource "aws_kms_key" "persistent" {
  count                   = length(local.persistent) > 0 ? 1 : 0
  description             = "skyplan persistent bucket encryption"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  tags                    = local.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket" "bucket" {
  for_each      = local.ephemeral
  bucket        = each.key
  force_destroy = var.force_destroy
  tags          = merge(local.tags, { Name = each.key })
}

resource "aws_s3_bucket" "persistent" {
  for_each = local.persistent
  bucket   = each.key
  tags     = merge(local.tags, { Name = each.key })

  lifecycle {
    prevent_destroy = true
  }
}

# Access block, encryption and versioning per kind, each naming its bucket
# resource directly (what tfsec follows to the bucket).
resource "aws_s3_bucket_public_access_block" "bucket" {
  for_each                = local.ephemeral
  bucket                  = aws_s3_bucket.bucket[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "bucket" {
  for_each = local.ephemeral
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
  for_each = local.ephemeral
  bucket   = aws_s3_bucket.bucket[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "persistent" {
  for_each                = local.persistent
  bucket                  = aws_s3_bucket.persistent[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "persistent" {
  for_each = local.persistent
  bucket   = aws_s3_bucket.persistent[each.key].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.persistent[0].arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "persistent" {
  for_each = local.persistent
  bucket   = aws_s3_bucket.persistent[each.key].id
  versioning_configuration {
    status = "Enabled"
  }
}
