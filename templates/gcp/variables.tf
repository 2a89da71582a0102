# Inputs of the skyplan GCP cluster module (compute VMs or TPU VMs). skyplan's
# compiler fills them from the optimizer's placement; all are non-secret.

variable "cluster_name" {
  description = "Cloud-safe cluster name (at most 35 lowercase letters, digits, hyphens)."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,33}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be 1-35 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the subnet, e.g. us-central1."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a GCP region such as us-central1."
  }
}

variable "zone" {
  description = "Zone every node is placed in, e.g. us-central1-a."
  type        = string
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))
    error_message = "zone must be a GCP zone such as us-central1-a."
  }
}

variable "num_nodes" {
  description = "Number of VMs (TPU VMs for TPU clusters); node 0 is the head."
  type        = number
  validation {
    condition     = var.num_nodes >= 1 && floor(var.num_nodes) == var.num_nodes
    error_message = "num_nodes must be a whole number of at least 1."
  }
}

variable "machine_type" {
  description = "Compute Engine machine type; ignored for TPU VMs."
  type        = string
  default     = ""
}

variable "accelerator_type" {
  description = "GPU type to attach (e.g. nvidia-tesla-v100); empty when none or built into the machine type."
  type        = string
  default     = ""
}

variable "accelerator_count" {
  description = "Number of GPUs per node when accelerator_type is set."
  type        = number
  default     = 0
}

variable "has_gpu" {
  description = "The machine carries GPUs (attached or built in): host maintenance must terminate."
  type        = bool
  default     = false
}

variable "use_spot" {
  description = "Use Spot VMs (deleted on preemption)."
  type        = bool
  default     = false
}

variable "image" {
  description = "Boot image (self link, projects/P/global/images/I or an image family path)."
  type        = string
  default     = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"
}

variable "disk_size_gb" {
  description = "Boot disk size in GB."
  type        = number
  default     = 256
  validation {
    condition     = var.disk_size_gb >= 10 && var.disk_size_gb <= 65536
    error_message = "disk_size_gb must be between 10 and 65536."
  }
}

variable "disk_type" {
  description = "Boot disk type from disk_tier: pd-standard, pd-balanced, pd-ssd, pd-extreme or hyperdisk-balanced."
  type        = string
  default     = "pd-balanced"
  validation {
    condition     = contains(["pd-standard", "pd-balanced", "pd-ssd", "pd-extreme", "hyperdisk-balanced"], var.disk_type)
    error_message = "disk_type must be one of pd-standard, pd-balanced, pd-ssd, pd-extreme, hyperdisk-balanced."
  }
}

variable "disk_iops" {
  description = "Provisioned IOPS of a hyperdisk-balanced boot disk (disk_tier high: 7000, ultra/best: 20000); null keeps the disk type's default. Ignored by pd-* disks, which must leave it null."
  type        = number
  default     = null
  validation {
    condition     = var.disk_iops == null || (var.disk_iops >= 3000 && var.disk_iops <= 160000)
    error_message = "disk_iops must be null or between 3000 and 160000 (hyperdisk-balanced)."
  }
}

variable "disk_throughput" {
  description = "Provisioned throughput (MiB/s) of a hyperdisk-balanced boot disk; null keeps the default."
  type        = number
  default     = null
  validation {
    condition     = var.disk_throughput == null || (var.disk_throughput >= 140 && var.disk_throughput <= 2400)
    error_message = "disk_throughput must be null or between 140 and 2400 MiB/s (hyperdisk-balanced)."
  }
}

variable "flow_log_sampling" {
  description = "Fraction (0-1) of the subnet's flows logged to Cloud Logging; 0, the default, creates no VPC flow logs (as on AWS and Azure), since logging is billed."
  type        = number
  default     = 0
  validation {
    condition     = var.flow_log_sampling >= 0 && var.flow_log_sampling <= 1
    error_message = "flow_log_sampling must be between 0 and 1."
  }
}

variable "tpu_accelerator_type" {
  description = "TPU VM accelerator type (e.g. v5litepod-8, v4-32); empty for ordinary VMs."
  type        = string
  default     = ""
  validation {
    condition     = var.tpu_accelerator_type == "" || can(regex("^v[0-9][a-z0-9]*-[0-9]+$", var.tpu_accelerator_type))
    error_message = "tpu_accelerator_type must look like v5litepod-8 or v4-32."
  }
}

variable "tpu_runtime_version" {
  description = "TPU VM software version (e.g. tpu-vm-base, v2-alpha-tpuv5-lite)."
  type        = string
  default     = ""
}

variable "ssh_user" {
  description = "Login user created from the ssh-keys metadata."
  type        = string
  default     = "gcpuser"
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
  description = "Existing VPC network to use; empty creates one for the cluster."
  type        = string
  default     = ""
}

variable "subnet_name" {
  description = "Existing subnetwork in vpc_name (in region)."
  type        = string
  default     = ""
}

variable "use_private_ip" {
  description = "Do not give nodes external addresses."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Extra labels from the task's resources.labels."
  type        = map(string)
  default     = {}
}

variable "buckets" {
  description = "GCS buckets created and destroyed with the cluster (file_mounts with persistent: false)."
  type        = list(string)
  default     = []
}

variable "readwrite_buckets" {
  description = "Buckets the nodes read and write besides var.buckets: persistent buckets and existing buckets mounted in MOUNT mode (roles/storage.objectAdmin, iam.tf)."
  type        = list(string)
  default     = []
}

variable "readonly_buckets" {
  description = "Existing buckets the nodes only read (COPY mode mounts): roles/storage.objectViewer."
  type        = list(string)
  default     = []
}

variable "autostop_action" {
  description = "What the head's autostop may do to this cluster's VMs: \"\" (autostop off: no Compute permission), \"stop\" or \"terminate\" (autostop with down)."
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
