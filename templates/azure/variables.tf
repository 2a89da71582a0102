# Inputs of the skyplan Azure cluster module. skyplan's compiler fills them
# from the optimizer's placement; all are non-secret.

variable "cluster_name" {
  description = "Cloud-safe cluster name (at most 42 lowercase letters, digits, hyphens)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be 1-42 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "location" {
  description = "Azure region, e.g. eastus."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+$", var.location))
    error_message = "location must be an Azure region name such as eastus."
  }
}

variable "num_nodes" {
  description = "Number of VMs; node 0 is the head."
  type        = number
  validation {
    condition     = var.num_nodes >= 1 && floor(var.num_nodes) == var.num_nodes
    error_message = "num_nodes must be a whole number of at least 1."
  }
}

variable "vm_size" {
  description = "VM size, e.g. Standard_NC6s_v3."
  type        = string
  validation {
    condition     = can(regex("^(Standard|Basic)_[A-Za-z0-9_-]+$", var.vm_size))
    error_message = "vm_size must be an Azure size such as Standard_D8s_v5."
  }
}

variable "use_spot" {
  description = "Use Spot priority (VMs are deleted on eviction)."
  type        = bool
  default     = false
}

variable "image" {
  description = "Marketplace image reference."
  type        = object({ publisher = string, offer = string, sku = string, version = string })
  default     = { publisher = "Canonical", offer = "0001-com-ubuntu-server-jammy", sku = "22_04-lts-gen2", version = "latest" }
}

variable "disk_size_gb" {
  description = "OS disk size in GB."
  type        = number
  default     = 256
  validation {
    condition     = var.disk_size_gb >= 30 && var.disk_size_gb <= 4095
    error_message = "disk_size_gb must be between 30 and 4095."
  }
}

variable "disk_type" {
  description = "OS disk storage account type from disk_tier."
  type        = string
  default     = "Premium_LRS"
  validation {
    condition     = contains(["Standard_LRS", "StandardSSD_LRS", "Premium_LRS"], var.disk_type)
    error_message = "disk_type must be one of Standard_LRS, StandardSSD_LRS, Premium_LRS."
  }
}

variable "ssh_user" {
  description = "Admin user of every VM."
  type        = string
  default     = "azureuser"
}

variable "ssh_public_key" {
  description = "skyplan's SSH public key (authorized_keys line)."
  type        = string
  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+", var.ssh_public_key))
    error_message = "ssh_public_key must be an OpenSSH public key line."
  }
}

variable "ssh_cidrs" {
  description = "CIDR blocks allowed to reach port 22 (the caller's address by default)."
  type        = list(string)
  validation {
    condition     = length(var.ssh_cidrs) > 0 && alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs must list at least one valid CIDR block."
  }
}

variable "ports" {
  description = "TCP port ranges the task asked to expose (resources.ports), opened to var.ports_cidrs only."
  type        = list(object({ from = number, to = number }))
  default     = []
  validation {
    condition     = alltrue([for p in var.ports : p.from >= 1 && p.to <= 65535 && p.from <= p.to && !(p.from <= 22 && 22 <= p.to)])
    error_message = "Each port range needs 1 <= from <= to <= 65535 and must not include 22 (SSH is governed by ssh_cidrs)."
  }
}

variable "vpc_name" {
  description = "Existing virtual network as RESOURCE_GROUP/VNET; empty creates one."
  type        = string
  default     = ""
  validation {
    condition     = var.vpc_name == "" || can(regex("^[^/]+/[^/]+$", var.vpc_name))
    error_message = "vpc_name must be RESOURCE_GROUP/VNET_NAME on Azure."
  }
}

variable "subnet_name" {
  description = "Subnet of vpc_name to use (default: \"default\")."
  type        = string
  default     = ""
}

variable "use_private_ip" {
  description = "Do not give nodes public addresses."
  type        = bool
  default     = false
}

variable "proximity_placement" {
  description = "Put the VMs in a proximity placement group (multi-node)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Extra tags from the task's resources.labels."
  type        = map(string)
  default     = {}
}

variable "buckets" {
  description = "Blob containers created and destroyed with the cluster (file_mounts with persistent: false)."
  type        = list(string)
  default     = []
}

variable "readwrite_buckets" {
  description = "Persistent buckets (containers of the buckets root) the nodes read and write: Storage Blob Data Contributor on each one's storage account (identity.tf)."
  type        = list(string)
  default     = []
}

variable "autostop_action" {
  description = "What the head's autostop may do to this cluster's VMs: \"\" (autostop off: no VM role), \"stop\" (deallocate) or \"terminate\" (delete)."
  type        = string
  default     = ""
  validation {
    condition     = contains(["", "stop", "terminate"], var.autostop_action)
    error_message = "autostop_action must be \"\", \"stop\" or \"terminate\"."
  }
}

variable "ports_cidrs" {
  description = "Source ranges allowed to reach var.ports (skyplan: config ports_cidrs or --ports-cidr; 0.0.0.0/0 with a warning when unset). Never governs SSH: see ssh_cidrs."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.ports_cidrs : can(cidrhost(c, 0))])
    error_message = "ports_cidrs must list valid CIDR blocks."
  }
}
