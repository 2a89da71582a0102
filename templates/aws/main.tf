# skyplan AWS cluster: network (new VPC or an existing one), security group,
# key pair, num_nodes instances in one AZ, optional placement group and EFA.

locals {
  create_network = var.vpc_name == ""
  vpc_id         = local.create_network ? aws_vpc.cluster[0].id : data.aws_vpc.existing[0].id
  subnet_id      = local.create_network ? aws_subnet.cluster[0].id : data.aws_subnet.existing[0].id
  use_efa        = var.efa_interfaces > 0
  # Private addresses the nodes take: one per EFA interface, else one.
  addresses = var.num_nodes * max(1, var.efa_interfaces)

  # The zone, by the name this account gives zone_id (names are shuffled per
  # account; the ID is the zone that was priced), or zone itself.
  zone = var.zone_id == "" ? var.zone : data.aws_availability_zone.placed[0].name

  # The image: resolved by owner and name (ami_lookup) or pinned (ami_id).
  ami_id = var.ami_lookup == null ? var.ami_id : data.aws_ami.node[0].id

  # Every resource carries the cluster tag so status/down can find it; node
  # resources add their rank and whether they are the head.
  tags = merge(var.labels, { "skyplan-cluster" = var.cluster_name })
}

data "aws_availability_zone" "placed" {
  count   = var.zone_id == "" ? 0 : 1
  zone_id = var.zone_id
}

data "aws_vpc" "existing" {
  count = local.create_network ? 0 : 1
  filter {
    name   = "tag:Name"
    values = [var.vpc_name]
  }
}

data "aws_subnet" "existing" {
  count             = local.create_network ? 0 : 1
  vpc_id            = data.aws_vpc.existing[0].id
  availability_zone = local.zone
  dynamic "filter" {
    for_each = var.subnet_name == "" ? [] : [var.subnet_name]
    content {
      name   = "tag:Name"
      values = [filter.value]
    }
  }

  lifecycle {
    # The subnet's size, not its free addresses: a re-plan of the running
    # cluster must pass.
    postcondition {
      condition     = pow(2, 32 - tonumber(split("/", self.cidr_block)[1])) - 5 >= local.addresses
      error_message = "The existing subnet ${self.cidr_block} cannot hold num_nodes × network interfaces per node (${local.addresses}) addresses: use a larger subnet (subnet_name) or fewer nodes."
    }
  }
}

data "aws_ami" "node" {
  count       = var.ami_lookup == null ? 0 : 1
  owners      = var.ami_lookup.owners
  most_recent = true
  filter {
    name   = "name"
    values = [var.ami_lookup.name]
  }
  filter {
    name   = "state"
    values = ["available"]
  }
}

# Changes (and so replaces the nodes, replace_triggered_by below) when the
# image changes, unless ignore_ami_changes: lifecycle arguments cannot
# follow a variable, this value can.
resource "terraform_data" "node_image" {
  input = var.ignore_ami_changes ? "ignore_ami_changes" : local.ami_id
}

# enable_dns_hostnames is left unset (AWS's default for a new VPC: off, so
# nodes get no public DNS names; private names still resolve through
# enable_dns_support). Setting it costs every launch the provider's fixed
# 10 s wait after ModifyVpcAttribute, once per region the fallback loop
# tries; unset and computed, a VPC created earlier with it on keeps it.
resource "aws_vpc" "cluster" {
  count              = local.create_network ? 1 : 0
  cidr_block         = "10.0.0.0/16"
  enable_dns_support = true
  tags               = merge(local.tags, { Name = var.cluster_name })
}

resource "aws_internet_gateway" "cluster" {
  count  = local.create_network ? 1 : 0
  vpc_id = aws_vpc.cluster[0].id
  tags   = merge(local.tags, { Name = var.cluster_name })
}

resource "aws_subnet" "cluster" {
  count             = local.create_network ? 1 : 0
  vpc_id            = aws_vpc.cluster[0].id
  availability_zone = local.zone
  # Sized by skyplan for num_nodes × interfaces per node (one per EFA
  # interface, else one): a /20 (4091 addresses, e.g. 127 p5 nodes with
  # 32 EFA interfaces each) up to the whole VPC.
  cidr_block = var.subnet_cidr
  tags       = merge(local.tags, { Name = var.cluster_name })

  lifecycle {
    # A grown num_nodes must not run out of addresses halfway through apply.
    precondition {
      condition     = pow(2, 32 - tonumber(split("/", var.subnet_cidr)[1])) - 5 >= local.addresses
      error_message = "subnet_cidr ${var.subnet_cidr} holds fewer than num_nodes × network interfaces per node (${local.addresses}) addresses: recompile with skyplan, which sizes subnet_cidr (a new subnet replaces the cluster's nodes)."
    }
  }
}

resource "aws_route_table" "cluster" {
  count  = local.create_network ? 1 : 0
  vpc_id = aws_vpc.cluster[0].id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.cluster[0].id
  }
  tags = merge(local.tags, { Name = var.cluster_name })
}

resource "aws_route_table_association" "cluster" {
  count          = local.create_network ? 1 : 0
  subnet_id      = aws_subnet.cluster[0].id
  route_table_id = aws_route_table.cluster[0].id
}

# name_prefix + create_before_destroy: a change that replaces the group
# (description, VPC) creates the new one and moves the nodes onto it before
# the old one is deleted, instead of failing on a group still in use.
resource "aws_security_group" "cluster" {
  name_prefix = "${var.cluster_name}-sg-"
  description = "skyplan cluster ${var.cluster_name}: SSH from allowed CIDRs, task ports, intra-cluster traffic"
  vpc_id      = local.vpc_id
  tags        = merge(local.tags, { Name = "${var.cluster_name}-sg" })

  lifecycle {
    create_before_destroy = true
  }

  ingress {
    description = "SSH from the allowed CIDRs"
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = var.ssh_cidrs
  }

  ingress {
    description = "All traffic between cluster nodes"
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    self        = true
  }

  dynamic "ingress" {
    for_each = length(var.ports_cidrs) > 0 ? var.ports : []
    content {
      description = "Task port ${ingress.value.from}-${ingress.value.to}"
      protocol    = "tcp"
      from_port   = ingress.value.from
      to_port     = ingress.value.to
      #tfsec:ignore:aws-vpc-no-public-ingress-sgr Exposure is var.ports_cidrs (ports_cidrs / --ports-cidr); 0.0.0.0/0 only when unset, with a compile warning.
      cidr_blocks = var.ports_cidrs
    }
  }

  egress {
    description = "Outbound traffic (package installs, datasets, buckets)"
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    #tfsec:ignore:aws-vpc-no-public-egress-sgr Exposure is var.egress_cidrs: nodes download packages, images and data (open by default).
    cidr_blocks = var.egress_cidrs
  }
}

resource "aws_key_pair" "cluster" {
  key_name   = "${var.cluster_name}-key"
  public_key = var.ssh_public_key
  tags       = local.tags
}

resource "aws_placement_group" "cluster" {
  count    = var.placement_group ? 1 : 0
  name     = "${var.cluster_name}-pg"
  strategy = "cluster"
  tags     = local.tags
}

# EFA needs explicit interfaces: card 0 carries the primary (device 0), every
# further network card one EFA-only device 1.
resource "aws_network_interface" "efa" {
  count           = var.num_nodes * var.efa_interfaces
  subnet_id       = local.subnet_id
  security_groups = [aws_security_group.cluster.id]
  interface_type  = "efa"
  tags = merge(local.tags, {
    Name                = "${var.cluster_name}-${floor(count.index / var.efa_interfaces)}-efa${count.index % var.efa_interfaces}"
    "skyplan-node-rank" = tostring(floor(count.index / var.efa_interfaces))
    "skyplan-head"      = floor(count.index / var.efa_interfaces) == 0 ? "true" : "false"
  })
}

# Instances with explicit interfaces get no automatic public address.
resource "aws_eip" "efa" {
  count             = local.use_efa && !var.use_private_ip ? var.num_nodes : 0
  domain            = "vpc"
  network_interface = aws_network_interface.efa[count.index * var.efa_interfaces].id
  tags = merge(local.tags, {
    Name                = "${var.cluster_name}-${count.index}"
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })
  depends_on = [aws_internet_gateway.cluster, aws_instance.node]
}

resource "aws_instance" "node" {
  count             = var.num_nodes
  ami               = local.ami_id
  instance_type     = var.instance_type
  availability_zone = local.zone
  key_name          = aws_key_pair.cluster.key_name
  # The cluster's own role (iam.tf): bucket access and, with autostop, stop
  # or terminate of this cluster's instances, nothing else.
  iam_instance_profile = aws_iam_instance_profile.node.name
  placement_group      = var.placement_group ? aws_placement_group.cluster[0].id : null

  subnet_id                   = local.use_efa ? null : local.subnet_id
  vpc_security_group_ids      = local.use_efa ? null : [aws_security_group.cluster.id]
  associate_public_ip_address = local.use_efa ? null : !var.use_private_ip

  dynamic "network_interface" {
    for_each = range(var.efa_interfaces)
    content {
      network_interface_id = aws_network_interface.efa[count.index * var.efa_interfaces + network_interface.value].id
      device_index         = network_interface.value == 0 ? 0 : 1
      network_card_index   = network_interface.value
    }
  }

  dynamic "instance_market_options" {
    for_each = var.use_spot ? [1] : []
    content {
      market_type = "spot"
      spot_options {
        spot_instance_type             = "one-time"
        instance_interruption_behavior = "terminate"
      }
    }
  }

  root_block_device {
    volume_size           = var.disk_size_gb
    volume_type           = var.disk_type
    iops                  = var.disk_iops
    throughput            = var.disk_throughput
    encrypted             = true
    delete_on_termination = true
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  tags = merge(local.tags, {
    Name                = "${var.cluster_name}-${count.index == 0 ? "head" : "worker"}"
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })
  volume_tags = merge(local.tags, {
    Name                = "${var.cluster_name}-${count.index}"
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })

  # A new AMI does not replace running nodes (ignore_ami_changes); with
  # ignore_ami_changes = false, terraform_data.node_image changes and
  # replaces them.
  lifecycle {
    ignore_changes       = [ami]
    replace_triggered_by = [terraform_data.node_image]
  }
}

module "buckets" {
  source        = "./buckets"
  names         = var.buckets
  cluster_name  = var.cluster_name
  labels        = var.labels
  force_destroy = true
  persistent    = false
}
