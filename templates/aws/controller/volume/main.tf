# skyplan controller state volume: an encrypted gp3 volume holding the
# controller's $SKYPLAN_HOME (state.db with every job and service, logs,
# the clusters' Terraform directories). It lives in its own root and state:
# replacing or destroying the controller instance never touches it, and
# `skyplan controller down --keep-volume` destroys everything but this root.

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_ebs_volume" "state" {
  availability_zone = var.zone != "" ? var.zone : data.aws_availability_zones.available.names[0]
  size              = var.size_gb
  type              = "gp3"
  encrypted         = true
  tags = merge(var.labels, {
    Name                 = "${var.name}-state"
    "skyplan-cluster"    = var.name
    "skyplan-controller" = var.name
    "skyplan-volume"     = "state"
  })
}
