# Inputs of the controller's state volume root (a separate Terraform state,
# so the controller can be destroyed and re-created while the volume and
# the jobs and services recorded on it stay).

variable "name" {
  description = "Cloud-safe controller name; the volume is found by its skyplan-controller and skyplan-volume=state tags."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name)) && !strcontains(var.name, "-node-")
    error_message = "name must be 1-32 lowercase letters, digits or hyphens, start with a letter and not contain -node- (the pattern of cluster node roles)."
  }
}

variable "zone" {
  description = "Availability zone of the volume, and so of the controller instance (empty: the region's first available zone)."
  type        = string
  default     = ""
  validation {
    condition     = var.zone == "" || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", var.zone))
    error_message = "zone must be empty or an availability zone name such as us-east-1a."
  }
}

variable "size_gb" {
  description = "Size of the state volume (state.db, logs, Terraform working directories)."
  type        = number
  default     = 10
  validation {
    condition     = var.size_gb >= 1 && var.size_gb <= 16384 && floor(var.size_gb) == var.size_gb
    error_message = "size_gb must be a whole number between 1 and 16384."
  }
}

variable "labels" {
  description = "Extra tags on the volume."
  type        = map(string)
  default     = {}
}
