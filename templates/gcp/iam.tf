# Node identity: one service account per cluster, attached to every
# Compute Engine VM and TPU VM (without it the TPU API attaches the
# project's default Compute Engine account, which usually holds Editor).
# The scope is cloud-platform, so what the nodes may do is decided by IAM
# alone, and IAM grants the account only this:
#
#   var.buckets and var.readwrite_buckets: roles/storage.objectAdmin on
#     each bucket (gsutil rsync, gcsfuse list/read/write/delete objects).
#   var.readonly_buckets: roles/storage.objectViewer on each bucket.
#   var.autostop_action = "stop" / "terminate" (Compute Engine VMs only):
#     a per-cluster custom role holding compute.instances.stop or
#     compute.instances.delete, bound on each of this cluster's instances
#     (not on the project). Nothing when autostop is off.
#
# Service accounts carry no labels: the description names the cluster
# (skyplan-cluster=NAME) so sweeps and reviewers can find it.

locals {
  # account_id: 6-30 characters; derived from the cluster name so it is
  # stable across recompiles and fits any cluster name.
  sa_account_id = "sky-${substr(sha1(var.cluster_name), 0, 20)}"
  rw_buckets    = distinct(concat(var.buckets, var.readwrite_buckets))
  autostop_vm   = var.autostop_action != "" && !local.tpu
}

resource "google_service_account" "node" {
  account_id   = local.sa_account_id
  display_name = substr("skyplan ${var.cluster_name} nodes", 0, 100)
  description  = "skyplan-cluster=${var.cluster_name}: identity of the cluster's nodes (bucket access, autostop)"
}

resource "google_storage_bucket_iam_member" "readwrite" {
  for_each = toset(local.rw_buckets)
  bucket   = each.key
  role     = "roles/storage.objectAdmin"
  member   = google_service_account.node.member
  # The cluster's own buckets are created by module.buckets.
  depends_on = [module.buckets]
}

resource "google_storage_bucket_iam_member" "readonly" {
  for_each = toset(var.readonly_buckets)
  bucket   = each.key
  role     = "roles/storage.objectViewer"
  member   = google_service_account.node.member
}

resource "google_project_iam_custom_role" "autostop" {
  count       = local.autostop_vm ? 1 : 0
  role_id     = "skyplan_autostop_${substr(sha1(var.cluster_name), 0, 20)}"
  title       = substr("skyplan autostop ${var.cluster_name}", 0, 100)
  description = "skyplan-cluster=${var.cluster_name}: lets the head ${var.autostop_action} the cluster's own instances when idle"
  permissions = [var.autostop_action == "stop" ? "compute.instances.stop" : "compute.instances.delete"]
}

resource "google_compute_instance_iam_member" "autostop" {
  count         = local.autostop_vm ? var.num_nodes : 0
  zone          = var.zone
  instance_name = google_compute_instance.node[count.index].name
  role          = google_project_iam_custom_role.autostop[0].id
  member        = google_service_account.node.member
}
