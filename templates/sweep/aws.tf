# skyplan tag sweep, AWS: finds every resource of one region tagged
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
  igws    = setsubtract(toset([for a in local.arns : split("/", a)[1] if strcontains(a, ":internet-gateway/")]), local.keep)
  buckets = setsubtract(toset([for a in local.arns : split(":::", a)[1] if startswith(a, "arn:aws:s3:::")]), local.keep)
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
# gateway (detached on delete) and last the VPC.

import {
  for_each = local.instances
  to       = aws_instance.leftover[each.key]
  id       = each.key
}

resource "aws_instance" "leftover" {
  for_each      = local.instances
  ami           = "ignored"
  instance_type = "ignored"
  depends_on    = [aws_eip.leftover, aws_network_interface.leftover, aws_security_group.leftover, aws_subnet.leftover, aws_key_pair.leftover, aws_internet_gateway.leftover]
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
