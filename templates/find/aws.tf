# skyplan find, AWS: every instance of one region that carries a
# skyplan-cluster tag, whatever its value, for `skyplan state rebuild`
# (records rebuilt from the cloud when state.db was lost). A module: the
# root generated beside it passes one aliased provider per region. It only
# reads; it creates nothing.

data "aws_region" "current" {}

# Zone names are shuffled per account; the ID is what skyplan priced.
data "aws_availability_zones" "all" {
  all_availability_zones = true
}

data "aws_instances" "tagged" {
  instance_state_names = ["pending", "running", "stopping", "stopped"]
  filter {
    name   = "tag-key"
    values = ["skyplan-cluster"]
  }
}

data "aws_instance" "tagged" {
  for_each    = toset(data.aws_instances.tagged.ids)
  instance_id = each.key
}

output "instances" {
  description = "The tagged instances: cluster tag, node rank (skyplan-node-rank), state, location (zone name and ID), type and addresses."
  value = [for id, i in data.aws_instance.tagged : {
    id            = id
    cluster       = i.tags["skyplan-cluster"]
    rank          = lookup(i.tags, "skyplan-node-rank", "")
    state         = i.instance_state
    region        = data.aws_region.current.name
    zone          = i.availability_zone
    zone_id       = lookup(zipmap(data.aws_availability_zones.all.names, data.aws_availability_zones.all.zone_ids), i.availability_zone, "")
    instance_type = i.instance_type
    private_ip    = i.private_ip
    public_ip     = i.public_ip
  }]
}
