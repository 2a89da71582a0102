# Node identity: one IAM role per cluster, attached to every node through an
# instance profile, so the nodes' own tools (aws s3 sync, goofys, the
# autostop script) run with short-lived instance credentials instead of
# copied keys. The role can do only what this cluster needs:
#
#   buckets (var.buckets, var.readwrite_buckets): s3:ListBucket,
#     s3:GetBucketLocation, s3:ListBucketMultipartUploads on the bucket;
#     s3:GetObject, s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload,
#     s3:ListMultipartUploadParts on its objects (file_mounts in MOUNT and
#     COPY mode read and write them).
#   var.readonly_buckets: s3:ListBucket, s3:GetBucketLocation and
#     s3:GetObject only (existing buckets mounted in COPY mode).
#   KMS: kms:Decrypt and kms:GenerateDataKey, only through S3 in this region
#     (kms:ViaService) and only for objects of the buckets above
#     (kms:EncryptionContext:aws:s3:arn): skyplan's buckets use a
#     customer-managed key.
#   var.autostop_action = "stop" / "terminate": ec2:StopInstances or
#     ec2:TerminateInstances, only on instances tagged
#     skyplan-cluster = var.cluster_name (the head stops its own cluster).
#     No instance permission at all when autostop is off.
#
# No statement grants "*" actions or resources outside the cluster.
# var.node_permissions_boundary, when set, caps the role whatever the
# policy below says (an organisation's mandatory boundary, or the one a
# skyplan controller VM creates node roles with: see
# templates/aws/controller/boundary.tf).

locals {
  rw_buckets  = distinct(concat(var.buckets, var.readwrite_buckets))
  all_buckets = distinct(concat(local.rw_buckets, var.readonly_buckets))
  has_policy  = length(local.all_buckets) > 0 || var.autostop_action != ""
  # IAM names are account-wide: a prefix (at most 38 characters, AWS adds
  # a unique suffix) means a role leaked by an interrupted apply never
  # blocks the next launch of the same cluster name.
  name_prefix = "${substr(var.cluster_name, 0, 32)}-node-"
}

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "EC2AssumesTheNodeRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix          = local.name_prefix
  description          = "skyplan cluster ${var.cluster_name}: node identity (buckets, autostop)"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = var.node_permissions_boundary
  tags                 = local.tags
}

resource "aws_iam_instance_profile" "node" {
  name_prefix = local.name_prefix
  role        = aws_iam_role.node.name
  tags        = local.tags
}

data "aws_iam_policy_document" "node" {
  count = local.has_policy ? 1 : 0

  dynamic "statement" {
    for_each = length(local.all_buckets) > 0 ? [1] : []
    content {
      sid       = "ListClusterBuckets"
      actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
      resources = [for b in local.all_buckets : "arn:${data.aws_partition.current.partition}:s3:::${b}"]
    }
  }

  dynamic "statement" {
    for_each = length(local.rw_buckets) > 0 ? [1] : []
    content {
      sid       = "ReadWriteClusterBucketObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      resources = [for b in local.rw_buckets : "arn:${data.aws_partition.current.partition}:s3:::${b}/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.readonly_buckets) > 0 ? [1] : []
    content {
      sid       = "ReadExistingBucketObjects"
      actions   = ["s3:GetObject"]
      resources = [for b in var.readonly_buckets : "arn:${data.aws_partition.current.partition}:s3:::${b}/*"]
    }
  }

  dynamic "statement" {
    for_each = length(local.all_buckets) > 0 ? [1] : []
    content {
      sid     = "BucketKeysThroughS3Only"
      actions = ["kms:Decrypt", "kms:GenerateDataKey"]
      # The key ARNs are not known here (persistent buckets live in another
      # root); the conditions limit use to S3 requests on these buckets.
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
      }
      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:s3:arn"
        values = flatten([for b in local.all_buckets : [
          "arn:${data.aws_partition.current.partition}:s3:::${b}",
          "arn:${data.aws_partition.current.partition}:s3:::${b}/*",
        ]])
      }
    }
  }

  dynamic "statement" {
    for_each = var.autostop_action == "" ? [] : [var.autostop_action]
    content {
      sid       = "AutostopOwnCluster"
      actions   = [statement.value == "stop" ? "ec2:StopInstances" : "ec2:TerminateInstances"]
      resources = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:*:instance/*"]
      condition {
        test     = "StringEquals"
        variable = "aws:ResourceTag/skyplan-cluster"
        values   = [var.cluster_name]
      }
    }
  }
}

resource "aws_iam_role_policy" "node" {
  count  = local.has_policy ? 1 : 0
  name   = "skyplan-node"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node[0].json
}
