# Node-role boundary. The controller creates one IAM role per cluster (the
# nodes' identity, templates/aws/iam.tf) and writes its inline policy; without
# a cap, a controller able to CreateRole, PutRolePolicy and PassRole could
# give a node role any permission and so exceed its own. Every node role it
# creates must carry this managed policy as its permissions boundary
# (iam:PermissionsBoundary conditions in iam.tf), and a boundary limits the
# role to the intersection of the two: at most what cluster nodes ever need,
#
#   - the task buckets' objects, within var.bucket_arns (file_mounts);
#   - the bucket keys, only through S3 (kms:ViaService);
#   - stopping or terminating instances tagged skyplan-cluster (autostop),
#
# whatever the inline policy says. skyplan passes this ARN to the clusters
# it launches from the controller (config aws.node_permissions_boundary on
# the VM, written by `skyplan controller up` from the output
# node_permissions_boundary).

data "aws_iam_policy_document" "node_boundary" {
  statement {
    sid     = "NodeBoundaryListTaskBuckets"
    actions = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
    #tfsec:ignore:aws-iam-no-policy-wildcards Exposure is var.bucket_arns (the controller's own bucket scope); each node's inline policy narrows it to its cluster's buckets.
    resources = var.bucket_arns
  }

  statement {
    sid       = "NodeBoundaryTaskBucketObjects"
    actions   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    resources = local.bucket_items
  }

  statement {
    sid     = "NodeBoundaryBucketKeysThroughS3"
    actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    #tfsec:ignore:aws-iam-no-policy-wildcards Bucket keys are created per cluster; kms:ViaService limits their use to S3 requests.
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.*.amazonaws.com"]
    }
  }

  statement {
    sid       = "NodeBoundaryAutostopTaggedInstances"
    actions   = ["ec2:StopInstances", "ec2:TerminateInstances"]
    resources = ["${local.ec2}:instance/*"]
    condition {
      test     = "Null"
      variable = local.tagged
      values   = ["false"]
    }
  }
}

resource "aws_iam_policy" "node_boundary" {
  name_prefix = "${var.name}-node-boundary-"
  description = "skyplan controller ${var.name}: permissions boundary of every node role it creates"
  policy      = data.aws_iam_policy_document.node_boundary.json
  tags        = local.tags
}
