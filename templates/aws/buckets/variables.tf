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
  description = "Delete non-empty buckets on destroy (true for persistent: false buckets)."
  type        = bool
  default     = false
}
