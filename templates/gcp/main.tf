# skyplan GCP cluster: a network with SSH/task-port firewalls (or an existing
# VPC), then either num_nodes Compute Engine VMs or num_nodes TPU VMs.

locals {
  create_network = var.vpc_name == ""
  network        = local.create_network ? google_compute_network.cluster[0].self_link : var.vpc_name
  subnetwork     = local.create_network ? google_compute_subnetwork.cluster[0].self_link : (var.subnet_name == "" ? null : var.subnet_name)
  tpu            = var.tpu_accelerator_type != ""
  labels         = merge(var.labels, { "skyplan-cluster" = var.cluster_name })
  # The instance tag the firewalls select; network tags share the name rules.
  target_tag = "${var.cluster_name}-node"
  ssh_keys   = "${var.ssh_user}:${var.ssh_public_key}"
}

resource "google_compute_network" "cluster" {
  count                   = local.create_network ? 1 : 0
  name                    = "${var.cluster_name}-net"
  auto_create_subnetworks = false
}

resource "google_compute_subnetwork" "cluster" {
  count                    = local.create_network ? 1 : 0
  name                     = "${var.cluster_name}-subnet"
  network                  = google_compute_network.cluster[0].id
  region                   = var.region
  ip_cidr_range            = "10.0.0.0/20"
  private_ip_google_access = true
  # VPC flow logs only when asked for (var.flow_log_sampling > 0): they are
  # billed per logged byte, and the AWS and Azure modules create none.
  dynamic "log_config" {
    for_each = var.flow_log_sampling > 0 ? [var.flow_log_sampling] : []
    content {
      aggregation_interval = "INTERVAL_10_MIN"
      flow_sampling        = log_config.value
      metadata             = "INCLUDE_ALL_METADATA"
    }
  }
}

resource "google_compute_firewall" "ssh" {
  name          = "${var.cluster_name}-ssh"
  network       = local.network
  description   = "skyplan: SSH from the allowed CIDRs"
  direction     = "INGRESS"
  source_ranges = var.ssh_cidrs
  target_tags   = [local.target_tag]
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

resource "google_compute_firewall" "internal" {
  name        = "${var.cluster_name}-internal"
  network     = local.network
  description = "skyplan: all traffic between the cluster's nodes"
  direction   = "INGRESS"
  source_tags = [local.target_tag]
  target_tags = [local.target_tag]
  allow {
    protocol = "all"
  }
}

resource "google_compute_firewall" "ports" {
  count       = length(var.ports) > 0 && length(var.ports_cidrs) > 0 ? 1 : 0
  name        = "${var.cluster_name}-ports"
  network     = local.network
  description = "skyplan: ports the task exposes"
  direction   = "INGRESS"
  #tfsec:ignore:google-compute-no-public-ingress Exposure is var.ports_cidrs (ports_cidrs / --ports-cidr); 0.0.0.0/0 only when unset, with a compile warning.
  source_ranges = var.ports_cidrs
  target_tags   = [local.target_tag]
  allow {
    protocol = "tcp"
    ports    = [for p in var.ports : p.from == p.to ? tostring(p.from) : "${p.from}-${p.to}"]
  }
}

resource "google_compute_instance" "node" {
  count        = local.tpu ? 0 : var.num_nodes
  name         = "${var.cluster_name}-${count.index}"
  zone         = var.zone
  machine_type = var.machine_type
  tags         = [local.target_tag]
  labels = merge(local.labels, {
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })

  boot_disk {
    auto_delete = true
    initialize_params {
      image = var.image
      size  = var.disk_size_gb
      type  = var.disk_type
      # Hyperdisk only (null otherwise): disk_tier's IOPS and throughput.
      provisioned_iops       = var.disk_iops
      provisioned_throughput = var.disk_throughput
      labels = merge(local.labels, {
        "skyplan-node-rank" = tostring(count.index)
        "skyplan-head"      = count.index == 0 ? "true" : "false"
      })
    }
  }

  dynamic "guest_accelerator" {
    for_each = var.accelerator_type == "" ? [] : [var.accelerator_type]
    content {
      type  = guest_accelerator.value
      count = var.accelerator_count
    }
  }

  # GPUs cannot live-migrate; Spot VMs are deleted when preempted.
  scheduling {
    provisioning_model          = var.use_spot ? "SPOT" : "STANDARD"
    preemptible                 = var.use_spot
    automatic_restart           = !var.use_spot
    on_host_maintenance         = var.use_spot || var.has_gpu ? "TERMINATE" : "MIGRATE"
    instance_termination_action = var.use_spot ? "DELETE" : null
  }

  network_interface {
    network    = local.network
    subnetwork = local.subnetwork
    dynamic "access_config" {
      for_each = var.use_private_ip ? [] : [1]
      #tfsec:ignore:google-compute-no-public-ip Exposure is var.use_private_ip (config use_private_ip): skyplan reaches nodes over SSH from var.ssh_cidrs only.
      content {}
    }
  }

  metadata = {
    "ssh-keys"               = local.ssh_keys
    "block-project-ssh-keys" = true
  }

  # The cluster's own account (iam.tf), never the project's default one.
  service_account {
    email  = google_service_account.node.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = false
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }
}

resource "google_tpu_v2_vm" "node" {
  provider         = google-beta
  count            = local.tpu ? var.num_nodes : 0
  name             = "${var.cluster_name}-${count.index}"
  zone             = var.zone
  accelerator_type = var.tpu_accelerator_type
  runtime_version  = var.tpu_runtime_version
  tags             = [local.target_tag]
  labels = merge(local.labels, {
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })

  network_config {
    network             = local.network
    subnetwork          = local.subnetwork
    enable_external_ips = !var.use_private_ip
  }

  scheduling_config {
    spot = var.use_spot
  }

  # Without this block the TPU API attaches the project's default Compute
  # Engine account; the cluster's own account (iam.tf) instead.
  service_account {
    email = google_service_account.node.email
    scope = ["https://www.googleapis.com/auth/cloud-platform"]
  }

  metadata = {
    "ssh-keys"               = local.ssh_keys
    "block-project-ssh-keys" = true
  }
}

module "buckets" {
  source        = "./buckets"
  names         = var.buckets
  location      = upper(var.region)
  cluster_name  = var.cluster_name
  labels        = var.labels
  force_destroy = true
}
