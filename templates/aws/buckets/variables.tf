variable "names" {
  description = "S3 bucket names to create."
  type        = list(string)
  validation {
    condition     = alltrue([for n in var.names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", n))])
    error_message = "S3 bucket names are 3-63 lowercase letters, digits, dots or hyphens."
  }
}

variable "cluster_name" {
  description = "Cluster that uses the buckets (tag only); empty for persistent buckets."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Delete non-empty buckets on destroy (true for persistent: false buckets; never for persistent ones)."
  type        = bool
  default     = false
}

variable "persistent" {
  description = "The buckets outlive the cluster (file_mounts persistent: true, the buckets/ root): tagged skyplan-persistent, protected by prevent_destroy, skipped by skyplan down's tag sweep. The cluster module passes false."
  type        = bool
  default     = true
}
