# skyplan controller: one small instance running `skyplan controller run`
# (copied and supervised over SSH), in its own VPC, reachable on SSH from
# var.ssh_cidrs and on the services' load-balancer ports from
# var.serve_allowed_cidrs; no public admin port. Its cloud permissions come
# from the instance profile in iam.tf; no keys are copied onto it. The
# state volume is a separate root (volume/): this module finds it by tag
# and attaches it, so replacing the instance keeps every job and service.

locals {
  # skyplan-cluster lets the AWS tag sweep verify that `controller down`
  # left nothing; skyplan-controller marks the controller's own resources.
  tags = merge(var.labels, { "skyplan-cluster" = var.name, "skyplan-controller" = var.name })
  # An empty serve.allowed_cidrs means the SSH sources, never 0.0.0.0/0.
  serve_cidrs = length(var.serve_allowed_cidrs) > 0 ? var.serve_allowed_cidrs : var.ssh_cidrs
}

# The state volume of this controller, from volume/. Matched by two tags:
# the instance's root volume carries skyplan-controller too, and must never
# be taken for it. More than one match is an error, not a guess.
data "aws_ebs_volume" "state" {
  filter {
    name   = "tag:skyplan-controller"
    values = [var.name]
  }
  filter {
    name   = "tag:skyplan-volume"
    values = ["state"]
  }
}

resource "aws_vpc" "controller" {
  cidr_block           = "10.250.0.0/24"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

resource "aws_internet_gateway" "controller" {
  vpc_id = aws_vpc.controller.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "controller" {
  vpc_id            = aws_vpc.controller.id
  availability_zone = data.aws_ebs_volume.state.availability_zone
  cidr_block        = "10.250.0.0/24"
  tags              = merge(local.tags, { Name = var.name })
}

resource "aws_route_table" "controller" {
  vpc_id = aws_vpc.controller.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.controller.id
  }
  tags = merge(local.tags, { Name = var.name })
}

resource "aws_route_table_association" "controller" {
  subnet_id      = aws_subnet.controller.id
  route_table_id = aws_route_table.controller.id
}

resource "aws_security_group" "controller" {
  name        = "${var.name}-sg"
  description = "skyplan controller ${var.name}: SSH from ssh_cidrs, service ports from serve_allowed_cidrs"
  vpc_id      = aws_vpc.controller.id
  tags        = merge(local.tags, { Name = "${var.name}-sg" })

  ingress {
    description = "SSH from the allowed CIDRs: administration and the CLI tunnel"
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = var.ssh_cidrs
  }

  dynamic "ingress" {
    for_each = var.serve_ports
    content {
      description = "Service load balancers ${ingress.value.from}-${ingress.value.to}"
      protocol    = "tcp"
      from_port   = ingress.value.from
      to_port     = ingress.value.to
      cidr_blocks = local.serve_cidrs
    }
  }

  egress {
    description = "AWS APIs, SSH to cluster nodes, service replicas"
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    #tfsec:ignore:aws-vpc-no-public-egress-sgr Exposure is var.egress_cidrs: the controller calls AWS APIs and reaches nodes on public addresses.
    cidr_blocks = var.egress_cidrs
  }
}

resource "aws_key_pair" "controller" {
  key_name   = "${var.name}-key"
  public_key = var.ssh_public_key
  tags       = local.tags
}

resource "aws_instance" "controller" {
  ami                         = var.ami_id
  instance_type               = var.instance_type
  availability_zone           = data.aws_ebs_volume.state.availability_zone
  subnet_id                   = aws_subnet.controller.id
  vpc_security_group_ids      = [aws_security_group.controller.id]
  key_name                    = aws_key_pair.controller.key_name
  iam_instance_profile        = aws_iam_instance_profile.controller.name
  associate_public_ip_address = true
  # Autostop (controller.idle_minutes) shuts the OS down: stop, never
  # terminate, so the instance and its state come back with `controller up`.
  instance_initiated_shutdown_behavior = "stop"
  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    volume_id   = data.aws_ebs_volume.state.id
    state_mount = var.state_mount
    ssh_user    = var.ssh_user
  })
  user_data_replace_on_change = false

  root_block_device {
    volume_size           = var.root_disk_gb
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
    # Tags of the root volume only. Never volume_tags: the provider applies
    # those to every volume attached to the instance, so an update (a stop
    # and start is one) retags the state volume as the root volume, and the
    # next plan's data.aws_ebs_volume.state finds no state volume.
    tags = merge(local.tags, { Name = "${var.name}-root" })
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # The daemon runs on the host: one hop is enough for its credentials.
    http_put_response_hop_limit = 1
  }

  tags = merge(local.tags, { Name = "${var.name}-controller" })
}

# Running, always: `controller up` after an idle stop (the OS shut down,
# instance_initiated_shutdown_behavior = "stop") starts the instance again.
resource "aws_ec2_instance_state" "controller" {
  instance_id = aws_instance.controller.id
  state       = "running"
}

# The instance as it is once running: a stopped instance started by the
# resource above has a new public address, which aws_instance's refresh
# (read while it was still stopped) does not know yet.
data "aws_instance" "controller" {
  instance_id = aws_ec2_instance_state.controller.instance_id
  depends_on  = [aws_ec2_instance_state.controller]
}

resource "aws_volume_attachment" "state" {
  device_name = "/dev/sdf"
  volume_id   = data.aws_ebs_volume.state.id
  instance_id = aws_instance.controller.id
  # Stop the instance before detaching (replacement, down) so the file
  # system is unmounted cleanly.
  stop_instance_before_detaching = true
}
