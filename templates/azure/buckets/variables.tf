variable "names" {
  description = "Blob container names to create."
  type        = list(string)
  validation {
    condition     = alltrue([for n in var.names : can(regex("^[a-z0-9]([a-z0-9-]{1,61}[a-z0-9])$", n))])
    error_message = "Container names are 3-63 lowercase letters, digits or hyphens."
  }
}

variable "resource_group_name" {
  description = "Resource group for the storage accounts; empty creates one group per bucket (persistent buckets)."
  type        = string
  default     = ""
}

variable "location" {
  description = "Azure region of the storage account."
  type        = string
}

variable "cluster_name" {
  description = "Cluster that uses the containers (tag only); empty for persistent buckets."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Extra tags."
  type        = map(string)
  default     = {}
}

variable "allowed_ips" {
  description = "Public addresses (or CIDRs wider than /32) allowed to reach the account, e.g. the uploading machine."
  type        = list(string)
  default     = []
}

variable "allowed_subnet_ids" {
  description = "Subnets (with the Microsoft.Storage endpoint) allowed to reach the account."
  type        = list(string)
  default     = []
}

variable "cluster_subnets" {
  description = "Cluster subnets (resource group, VNet and subnet names, in this subscription) allowed to reach the account: the persistent buckets root names the subnet the cluster root creates or uses."
  type        = list(object({ resource_group = string, vnet = string, subnet = string }))
  default     = []
}
