# Controller identity: a role and instance profile whose policy allows
# exactly what the generated cluster modules (templates/aws, its buckets/
# module, the tag sweep and stop/start) call, and no more. Every action and
# its reason is listed in testdata/controllervm/iam-actions.txt; controllervm's tests fail
# when an action appears here without one, or when the cluster modules
# start calling an action this policy lacks (recorded against moto).
#
# Scoping, where AWS allows it:
#   - creating: the request must carry a skyplan-cluster tag
#     (aws:RequestTag), which every cluster resource has;
#   - changing and deleting: the resource must carry one (aws:ResourceTag);
#   - IAM: only roles and instance profiles named *-node-* (the cluster
#     modules' name_prefix), tagged; roles created and given policies only
#     with the node boundary (boundary.tf); iam:PassRole only to EC2;
#   - reads (ec2:Describe*, tag:GetResources, iam:ListRoles: the tag
#     sweep lists node roles by name, IAM lists have no tag filter) have
#     no resource-level permissions in AWS and are allowed on "*";
#   - S3 has no tag conditions on bucket operations: var.bucket_arns.
# The controller's own role and profile are denied every IAM change.

locals {
  p            = data.aws_partition.current.partition
  ec2          = "arn:${data.aws_partition.current.partition}:ec2:*:*"
  iam          = "arn:${data.aws_partition.current.partition}:iam::*"
  name_prefix  = "${var.name}-ctl-"
  tagged       = "aws:ResourceTag/skyplan-cluster"
  request_tag  = "aws:RequestTag/skyplan-cluster"
  bucket_items = [for a in var.bucket_arns : "${a}/*"]
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    sid     = "EC2AssumesTheControllerRole"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "controller" {
  name_prefix        = local.name_prefix
  description        = "skyplan controller ${var.name}: launches, observes and tears down skyplan clusters"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = local.tags
}

resource "aws_iam_instance_profile" "controller" {
  name_prefix = local.name_prefix
  role        = aws_iam_role.controller.name
  tags        = local.tags
}

data "aws_iam_policy_document" "controller" {
  statement {
    sid = "ReadCloudState"
    actions = [
      "ec2:DescribeAddresses",
      "ec2:DescribeAddressesAttribute",
      "ec2:DescribeAvailabilityZones",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceAttribute",
      "ec2:DescribeInstanceCreditSpecifications",
      "ec2:DescribeInstanceStatus",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeInstances",
      "ec2:DescribeInternetGateways",
      "ec2:DescribeKeyPairs",
      "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribePlacementGroups",
      "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSpotInstanceRequests",
      "ec2:DescribeSubnets",
      "ec2:DescribeTags",
      "ec2:DescribeVolumes",
      "ec2:DescribeVpcAttribute",
      "ec2:DescribeVpcs",
      "iam:ListRoles",
      "tag:GetResources",
    ]
    #tfsec:ignore:aws-iam-no-policy-wildcards Describe and GetResources have no resource-level permissions in AWS.
    resources = ["*"]
  }

  statement {
    sid = "CreateTaggedClusterResources"
    actions = [
      "ec2:AllocateAddress",
      "ec2:CreateInternetGateway",
      "ec2:CreateNetworkInterface",
      "ec2:CreatePlacementGroup",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:CreateVpc",
      "ec2:ImportKeyPair",
      "ec2:RunInstances",
    ]
    resources = [for t in ["elastic-ip", "internet-gateway", "network-interface", "placement-group", "route-table", "security-group", "subnet", "vpc", "key-pair", "instance", "volume", "spot-instances-request"] : "${local.ec2}:${t}/*"]
    condition {
      test     = "Null"
      variable = local.request_tag
      values   = ["false"]
    }
  }

  statement {
    sid = "UseResourcesOfTaggedCreates"
    # The existing resources a create names (image, subnet, security group,
    # key pair, network interface, VPC of an existing network): they carry
    # no request tags, so the tag condition above cannot apply to them.
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:CreateRouteTable",
      "ec2:CreateSecurityGroup",
      "ec2:CreateSubnet",
      "ec2:RunInstances",
    ]
    resources = concat(
      ["arn:${local.p}:ec2:*::image/*"],
      [for t in ["subnet", "security-group", "key-pair", "network-interface", "placement-group", "vpc"] : "${local.ec2}:${t}/*"],
    )
  }

  statement {
    sid       = "TagOnlyWhileCreating"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:*/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = ["AllocateAddress", "CreateInternetGateway", "CreateNetworkInterface", "CreatePlacementGroup", "CreateRouteTable", "CreateSecurityGroup", "CreateSubnet", "CreateVpc", "ImportKeyPair", "RunInstances"]
    }
  }

  statement {
    sid = "ChangeAndDeleteTaggedClusterResources"
    actions = [
      "ec2:AssociateAddress",
      "ec2:AssociateRouteTable",
      "ec2:AttachInternetGateway",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:CreateRoute",
      "ec2:DeleteInternetGateway",
      "ec2:DeleteKeyPair",
      "ec2:DeleteNetworkInterface",
      "ec2:DeletePlacementGroup",
      "ec2:DeleteRoute",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSecurityGroup",
      "ec2:DeleteSubnet",
      "ec2:DeleteVpc",
      "ec2:DetachInternetGateway",
      "ec2:DetachNetworkInterface",
      "ec2:DisassociateAddress",
      "ec2:DisassociateRouteTable",
      "ec2:ModifyInstanceAttribute",
      "ec2:ModifyVpcAttribute",
      "ec2:ReleaseAddress",
      "ec2:RevokeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress",
      "ec2:StartInstances",
      "ec2:StopInstances",
      "ec2:TerminateInstances",
    ]
    resources = ["${local.ec2}:*/*"]
    condition {
      test     = "Null"
      variable = local.tagged
      values   = ["false"]
    }
  }

  statement {
    sid       = "CreateTaggedNodeProfiles"
    actions   = ["iam:CreateInstanceProfile", "iam:TagInstanceProfile", "iam:TagRole"]
    resources = ["${local.iam}:role/*-node-*", "${local.iam}:instance-profile/*-node-*"]
    condition {
      test     = "Null"
      variable = local.request_tag
      values   = ["false"]
    }
  }

  # A node role exists only under the node boundary (boundary.tf), and its
  # inline policy is written only while it has it: what the controller can
  # give a node never exceeds the boundary.
  statement {
    sid       = "CreateBoundedNodeRoles"
    actions   = ["iam:CreateRole"]
    resources = ["${local.iam}:role/*-node-*"]
    condition {
      test     = "Null"
      variable = local.request_tag
      values   = ["false"]
    }
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.node_boundary.arn]
    }
  }

  statement {
    sid       = "WriteBoundedNodeRolePolicies"
    actions   = ["iam:PutRolePolicy"]
    resources = ["${local.iam}:role/*-node-*"]
    condition {
      test     = "Null"
      variable = local.tagged
      values   = ["false"]
    }
    condition {
      test     = "StringEquals"
      variable = "iam:PermissionsBoundary"
      values   = [aws_iam_policy.node_boundary.arn]
    }
  }

  statement {
    sid = "ManageTaggedNodeRoles"
    actions = [
      "iam:AddRoleToInstanceProfile",
      "iam:DeleteInstanceProfile",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetInstanceProfile",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:RemoveRoleFromInstanceProfile",
    ]
    resources = ["${local.iam}:role/*-node-*", "${local.iam}:instance-profile/*-node-*"]
    condition {
      test     = "Null"
      variable = local.tagged
      values   = ["false"]
    }
  }

  statement {
    sid       = "PassNodeRolesToEC2Only"
    actions   = ["iam:PassRole"]
    resources = ["${local.iam}:role/*-node-*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ec2.amazonaws.com"]
    }
  }

  statement {
    sid = "ManageTaskBuckets"
    actions = [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:GetAccelerateConfiguration",
      "s3:GetBucketAcl",
      "s3:GetBucketCORS",
      "s3:GetBucketLocation",
      "s3:GetBucketLogging",
      "s3:GetBucketObjectLockConfiguration",
      "s3:GetBucketOwnershipControls",
      "s3:GetBucketPolicy",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketRequestPayment",
      "s3:GetBucketTagging",
      "s3:GetBucketVersioning",
      "s3:GetBucketWebsite",
      "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
    ]
    #tfsec:ignore:aws-iam-no-policy-wildcards Exposure is var.bucket_arns: task bucket names are free-form and S3 has no tag conditions on bucket operations, so the default is every bucket; narrow it to your naming scheme.
    resources = var.bucket_arns
  }

  statement {
    sid       = "ReadWriteTaskBucketObjects"
    actions   = ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"]
    resources = local.bucket_items
  }

  statement {
    sid     = "CreateTaggedBucketKeys"
    actions = ["kms:CreateKey", "kms:TagResource"]
    # CreateKey has no resource-level permissions (the key does not exist
    # yet), and tagging while creating needs kms:TagResource in a statement
    # not restricted to particular keys (AWS KMS "Controlling access to tags").
    #tfsec:ignore:aws-iam-no-policy-wildcards kms:CreateKey, and kms:TagResource during it, cannot be scoped to a key in AWS; the request must carry a skyplan-cluster tag.
    resources = ["*"]
    condition {
      test     = "Null"
      variable = local.request_tag
      values   = ["false"]
    }
  }

  statement {
    sid = "ManageTaggedBucketKeys"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:GenerateDataKey",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:ScheduleKeyDeletion",
    ]
    resources = ["arn:${local.p}:kms:*:*:key/*"]
    condition {
      test     = "Null"
      variable = local.tagged
      values   = ["false"]
    }
  }

  statement {
    sid     = "NeverChangeOwnIdentity"
    effect  = "Deny"
    actions = ["iam:*"]
    resources = [
      aws_iam_role.controller.arn,
      aws_iam_instance_profile.controller.arn,
    ]
  }
}

resource "aws_iam_role_policy" "controller" {
  name   = "skyplan-controller"
  role   = aws_iam_role.controller.id
  policy = data.aws_iam_policy_document.controller.json
}
