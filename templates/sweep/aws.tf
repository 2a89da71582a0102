# skyplan tag sweep, AWS: finds every resource of one region (and the
# account-wide node role and instance profile) tagged
# skyplan-cluster = var.cluster_tag that the cluster's own state does not
# hold (var.keep), imports it, so that `terraform destroy` removes it.
# Used after `skyplan down`'s destroy (down then verifies that nothing tagged
# is left), before re-applying an interrupted apply, and after a failed
# fallback attempt. Imported objects keep their real settings:
# ignore_changes = all makes the import apply change nothing.

variable "region" {
  description = "Region swept."
  type        = string
}

variable "cluster_tag" {
  description = "Value of the skyplan-cluster tag of the cluster's resources."
  type        = string
}

variable "keep" {
  description = "IDs held by the cluster's own Terraform state: not leftovers."
  type        = list(string)
  default     = []
}

variable "key_pairs" {
  description = "Tagged key pairs found by an earlier run of this root (EC2 has no list data source for them)."
  type        = list(string)
  default     = []
}

locals {
  filter = { name = "tag:skyplan-cluster", values = [var.cluster_tag] }
  keep   = toset(var.keep)
  arns   = data.aws_resourcegroupstaggingapi_resources.tagged.resource_tag_mapping_list[*].resource_arn

  instances = setsubtract(toset(data.aws_instances.tagged.ids), local.keep)
  eips      = setsubtract(toset(data.aws_eips.tagged.allocation_ids), local.keep)
  enis      = setsubtract(toset(data.aws_network_interfaces.tagged.ids), local.keep)
  sgs       = setsubtract(toset(data.aws_security_groups.tagged.ids), local.keep)
  subnets   = setsubtract(toset(data.aws_subnets.tagged.ids), local.keep)
  rtbs      = setsubtract(toset(data.aws_route_tables.tagged.ids), local.keep)
  vpcs      = setsubtract(toset(data.aws_vpcs.tagged.ids), local.keep)
  key_pairs = setsubtract(toset(var.key_pairs), local.keep)
  # EC2 has no plural data source for internet gateways, S3 none for
  # buckets: the Resource Groups Tagging API lists them by tag.
  igws = setsubtract(toset([for a in local.arns : split("/", a)[1] if strcontains(a, ":internet-gateway/")]), local.keep)
  # Persistent buckets (file_mounts persistent: true) carry the cluster tag
  # too but outlive the cluster: never swept.
  persistent = toset([for a in data.aws_resourcegroupstaggingapi_resources.persistent.resource_tag_mapping_list[*].resource_arn : split(":::", a)[1] if startswith(a, "arn:aws:s3:::")])
  buckets    = setsubtract(toset([for a in local.arns : split(":::", a)[1] if startswith(a, "arn:aws:s3:::")]), setunion(local.keep, local.persistent))
  # IAM lists have no tag filter and the Tagging API does not cover IAM:
  # the node role's name_prefix (templates/aws/iam.tf: the first 32
  # characters of the cluster name, "-node-", Terraform's hex suffix)
  # narrows the account's roles, and each candidate's own tag decides.
  role_regex   = "^${replace(substr(var.cluster_tag, 0, 32), ".", "\\.")}-node-[0-9a-f]+$"
  tagged_roles = toset([for n, r in data.aws_iam_role.candidate : n if lookup(r.tags, "skyplan-cluster", "") == var.cluster_tag])
  roles        = setsubtract(local.tagged_roles, local.keep)
  profiles     = setsubtract(toset(flatten([for n in local.tagged_roles : data.aws_iam_instance_profiles.of[n].names])), local.keep)
}

data "aws_instances" "tagged" {
  instance_state_names = ["pending", "running", "shutting-down", "stopping", "stopped"]
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_eips" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_network_interfaces" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_security_groups" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_subnets" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_route_tables" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_vpcs" "tagged" {
  filter {
    name   = local.filter.name
    values = local.filter.values
  }
}

data "aws_resourcegroupstaggingapi_resources" "tagged" {
  tag_filter {
    key    = "skyplan-cluster"
    values = [var.cluster_tag]
  }
}

data "aws_iam_roles" "candidates" {
  name_regex = local.role_regex
}

data "aws_iam_role" "candidate" {
  for_each = toset(data.aws_iam_roles.candidates.names)
  name     = each.key
}

# The profiles of every tagged role, also of one the state keeps: a
# profile of a kept role is in var.keep itself when the state holds it.
data "aws_iam_instance_profiles" "of" {
  for_each  = local.tagged_roles
  role_name = each.key
}

data "aws_resourcegroupstaggingapi_resources" "persistent" {
  tag_filter {
    key    = "skyplan-cluster"
    values = [var.cluster_tag]
  }
  tag_filter {
    key    = "skyplan-persistent"
    values = ["true"]
  }
}

# A key pair is found through a check block: its data source fails when
# nothing matches, and a scoped data source's failure is only a warning.
# The warning's text names the key pair; skyplan re-runs with key_pairs.
check "leftover_key_pair" {
  data "aws_key_pair" "tagged" {
    filter {
      name   = local.filter.name
      values = local.filter.values
    }
  }
  assert {
    condition     = contains(concat(var.keep, var.key_pairs), data.aws_key_pair.tagged.key_name)
    error_message = "skyplan-leftover-key-pair=${data.aws_key_pair.tagged.key_name}"
  }
}

# Destroy order follows depends_on (dependents go first): instances, then
# addresses and interfaces, security groups, subnets, route tables, the
# gateway (detached on delete) and last the VPC; the instance profile
# before its role.

import {
  for_each = local.instances
  to       = aws_instance.leftover[each.key]
  id       = each.key
}

resource "aws_instance" "leftover" {
  for_each      = local.instances
  ami           = "ignored"
  instance_type = "ignored"
  depends_on    = [aws_eip.leftover, aws_network_interface.leftover, aws_security_group.leftover, aws_subnet.leftover, aws_key_pair.leftover, aws_internet_gateway.leftover, aws_iam_instance_profile.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.eips
  to       = aws_eip.leftover[each.key]
  id       = each.key
}

resource "aws_eip" "leftover" {
  for_each   = local.eips
  depends_on = [aws_network_interface.leftover, aws_internet_gateway.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.enis
  to       = aws_network_interface.leftover[each.key]
  id       = each.key
}

resource "aws_network_interface" "leftover" {
  for_each   = local.enis
  subnet_id  = "ignored"
  depends_on = [aws_security_group.leftover, aws_subnet.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.sgs
  to       = aws_security_group.leftover[each.key]
  id       = each.key
}

resource "aws_security_group" "leftover" {
  for_each   = local.sgs
  depends_on = [aws_vpc.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.subnets
  to       = aws_subnet.leftover[each.key]
  id       = each.key
}

resource "aws_subnet" "leftover" {
  for_each   = local.subnets
  vpc_id     = "ignored"
  depends_on = [aws_route_table.leftover, aws_vpc.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.rtbs
  to       = aws_route_table.leftover[each.key]
  id       = each.key
}

resource "aws_route_table" "leftover" {
  for_each   = local.rtbs
  vpc_id     = "ignored"
  depends_on = [aws_internet_gateway.leftover, aws_vpc.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.igws
  to       = aws_internet_gateway.leftover[each.key]
  id       = each.key
}

resource "aws_internet_gateway" "leftover" {
  for_each   = local.igws
  depends_on = [aws_vpc.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.vpcs
  to       = aws_vpc.leftover[each.key]
  id       = each.key
}

resource "aws_vpc" "leftover" {
  for_each = local.vpcs
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.key_pairs
  to       = aws_key_pair.leftover[each.key]
  id       = each.key
}

resource "aws_key_pair" "leftover" {
  for_each   = local.key_pairs
  public_key = "ignored"
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.buckets
  to       = aws_s3_bucket.leftover[each.key]
  id       = each.key
}

# force_destroy is Terraform-only: the import apply sets it in the state
# (no API call), so destroy empties the bucket first.
resource "aws_s3_bucket" "leftover" {
  for_each      = local.buckets
  force_destroy = true
  lifecycle {
    ignore_changes = [bucket, bucket_prefix, tags, tags_all, object_lock_enabled]
  }
}

import {
  for_each = local.profiles
  to       = aws_iam_instance_profile.leftover[each.key]
  id       = each.key
}

# Deleting a profile first removes its role from it (the provider reads
# the role into the state on import).
resource "aws_iam_instance_profile" "leftover" {
  for_each   = local.profiles
  depends_on = [aws_iam_role.leftover]
  lifecycle {
    ignore_changes = all
  }
}

import {
  for_each = local.roles
  to       = aws_iam_role.leftover[each.key]
  id       = each.key
}

# force_detach_policies is Terraform-only, as force_destroy above: with it
# in the state, destroy deletes the role's inline policies (the node
# policy "skyplan-node") and detaches managed ones before the role.
resource "aws_iam_role" "leftover" {
  for_each              = local.roles
  assume_role_policy    = "{}"
  force_detach_policies = true
  lifecycle {
    ignore_changes = [name, name_prefix, path, description, assume_role_policy, max_session_duration, permissions_boundary, inline_policy, managed_policy_arns, tags, tags_all]
  }
}
