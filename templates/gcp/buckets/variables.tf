variable "names" {
  description = "GCS bucket names to create."
  type        = list(string)
  validation {
    condition     = alltrue([for n in var.names : can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", n))])
    error_message = "GCS bucket names are 3-63 lowercase letters, digits, dots, hyphens or underscores."
  }
}

variable "location" {
  description = "Bucket location (the cluster's region, upper case)."
  type        = string
}

variable "cluster_name" {
  description = "Cluster that uses the buckets (label only); empty for persistent buckets."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Extra labels."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Delete non-empty buckets on destroy (true for persistent: false buckets)."
  type        = bool
  default     = false
}
