# GCS buckets for file_mounts: uniform bucket-level access, public access
# prevention enforced, versioned.

resource "google_storage_bucket" "bucket" {
  for_each                    = toset(var.names)
  name                        = each.key
  location                    = var.location
  force_destroy               = var.force_destroy
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = merge(var.labels, var.cluster_name == "" ? {} : { "skyplan-cluster" = var.cluster_name }, { "skyplan-bucket" = "true" })
  versioning {
    enabled = true
  }
}
