# Test fixture standing in for compiler output: the same inputs and outputs
# contract (region/zone in skyplan.auto.tfvars.json, `nodes` output), with a
# security group created before the instance so failed attempts leave
# something the fallback loop must destroy.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "cluster_name" { type = string }
variable "region" { type = string }
variable "zone" { type = string }
variable "instance_type" { type = string }
variable "num_nodes" { type = number }
variable "use_spot" { type = bool }

provider "aws" {
  region = var.region
  # Fail fast: the fallback loop, not the provider, decides what to retry.
  max_retries                 = 1
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

resource "aws_security_group" "cluster" {
  name        = "${var.cluster_name}-sg"
  description = "skyplan test cluster"
  tags        = { "skyplan-cluster" = var.cluster_name }
}

resource "aws_instance" "node" {
  count                  = var.num_nodes
  ami                    = "ami-12c6146b"
  instance_type          = var.instance_type
  availability_zone      = var.zone
  vpc_security_group_ids = [aws_security_group.cluster.id]
  dynamic "instance_market_options" {
    for_each = var.use_spot ? [1] : []
    content {
      market_type = "spot"
    }
  }
  tags = { "skyplan-cluster" = var.cluster_name, "skyplan-node-rank" = tostring(count.index) }
}

output "nodes" {
  value = [for i, n in aws_instance.node : {
    rank        = i
    instance_id = n.id
    private_ip  = n.private_ip
    public_ip   = n.public_ip == null ? "" : n.public_ip
    zone        = n.availability_zone
    ssh_user    = "ubuntu"
  }]
}

output "ssh_user" { value = "ubuntu" }
