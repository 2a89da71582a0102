# Inputs of the skyplan AWS cluster module. skyplan's compiler fills them from
# the optimizer's placement; every value is non-secret and lives in the root's
# skyplan.auto.tfvars.json.

variable "cluster_name" {
  description = "Cloud-safe cluster name (lowercase letters, digits, hyphens); prefix of every resource name."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.cluster_name))
    error_message = "cluster_name must be 1-63 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "zone" {
  description = "Availability zone every node is placed in (one AZ keeps a multi-node cluster close), by the name skyplan's catalog gives it; with zone_id set, only a label: the nodes go to zone_id."
  type        = string
  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", var.zone))
    error_message = "zone must be an availability zone name such as us-east-1a."
  }
}

variable "zone_id" {
  description = "Availability zone ID the nodes are placed in (use1-az2): the zone that was priced. AZ names are shuffled per AWS account, IDs are not, so the name this account gives the ID is looked up (output zone). Empty: place by zone."
  type        = string
  default     = ""
  validation {
    condition     = var.zone_id == "" || can(regex("^[a-z0-9]+(-[a-z0-9]+)*-az[0-9]+$", var.zone_id))
    error_message = "zone_id must be empty or an availability zone ID such as use1-az2."
  }
}

variable "num_nodes" {
  description = "Number of nodes; node 0 is the head."
  type        = number
  validation {
    condition     = var.num_nodes >= 1 && floor(var.num_nodes) == var.num_nodes
    error_message = "num_nodes must be a whole number of at least 1."
  }
}

variable "instance_type" {
  description = "EC2 instance type, e.g. g5.xlarge."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9-]+\\.[a-z0-9-]+$", var.instance_type))
    error_message = "instance_type must look like family.size, e.g. g5.xlarge."
  }
}

variable "ami_id" {
  description = "Pinned AMI of every node in this region (the image catalog's ID, or the task's image_id); used when ami_lookup is null. Pin it by setting ami_lookup = null."
  type        = string
  validation {
    condition     = can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "ami_lookup" {
  description = "Resolve the AMI in Terraform: the newest available image whose name matches name (EC2 wildcards * and ?) owned by one of owners (account IDs or aliases such as amazon; required, so an image named like another's is never taken). null uses ami_id."
  type        = object({ owners = list(string), name = string })
  default     = null
  validation {
    condition     = var.ami_lookup == null || try(length(var.ami_lookup.owners) > 0 && var.ami_lookup.name != "", false)
    error_message = "ami_lookup needs at least one owner and a name filter, or null to use ami_id."
  }
}

variable "ignore_ami_changes" {
  description = "Keep running nodes on the image they were created with when the AMI changes (a newer image matching ami_lookup, another ami_id): no replacement; nodes created later get the new image. false replaces every node whenever the image changes (and once when switched off)."
  type        = bool
  default     = true
}

variable "use_spot" {
  description = "Request spot capacity (one-time, terminate on interruption)."
  type        = bool
  default     = false
}

variable "disk_size_gb" {
  description = "Root volume size in GiB."
  type        = number
  default     = 256
  validation {
    condition     = var.disk_size_gb >= 8 && var.disk_size_gb <= 16384
    error_message = "disk_size_gb must be between 8 and 16384."
  }
}

variable "disk_type" {
  description = "Root volume type: standard (low), gp3 (medium/high) or io2 (ultra/best)."
  type        = string
  default     = "gp3"
  validation {
    condition     = contains(["standard", "gp3", "io2"], var.disk_type)
    error_message = "disk_type must be one of standard, gp3, io2."
  }
}

variable "disk_iops" {
  description = "Provisioned IOPS for gp3/io2; null keeps the volume type's default."
  type        = number
  default     = null
}

variable "disk_throughput" {
  description = "Throughput in MiB/s for gp3; null keeps the default."
  type        = number
  default     = null
}

variable "ssh_user" {
  description = "Login user of the image."
  type        = string
  default     = "ubuntu"
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

variable "subnet_cidr" {
  description = "CIDR of the subnet the module creates inside its 10.0.0.0/16 VPC, sized by skyplan for num_nodes × network interfaces per node; ignored with vpc_name."
  type        = string
  default     = "10.0.0.0/20"
  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && startswith(var.subnet_cidr, "10.0.0.0/") && tonumber(split("/", var.subnet_cidr)[1]) >= 16 && tonumber(split("/", var.subnet_cidr)[1]) <= 28
    error_message = "subnet_cidr must be 10.0.0.0/N with 16 <= N <= 28 (inside the module's VPC)."
  }
}

variable "vpc_name" {
  description = "Name tag of an existing VPC to use; empty creates a VPC for the cluster."
  type        = string
  default     = ""
}

variable "subnet_name" {
  description = "Name tag of an existing subnet in vpc_name (in zone); empty picks the VPC's subnet in the zone."
  type        = string
  default     = ""
}

variable "use_private_ip" {
  description = "Do not give nodes public addresses (reach them through a proxy or VPN)."
  type        = bool
  default     = false
}

variable "placement_group" {
  description = "Put the nodes in a cluster placement group (multi-node)."
  type        = bool
  default     = false
}

variable "efa_interfaces" {
  description = "EFA interfaces per node, one per network card (0 = plain ENA networking)."
  type        = number
  default     = 0
  validation {
    condition     = var.efa_interfaces >= 0 && var.efa_interfaces <= 32 && floor(var.efa_interfaces) == var.efa_interfaces
    error_message = "efa_interfaces must be a whole number between 0 and 32."
  }
}

variable "labels" {
  description = "Extra tags from the task's resources.labels."
  type        = map(string)
  default     = {}
}

variable "buckets" {
  description = "S3 buckets created and destroyed with the cluster (file_mounts with persistent: false)."
  type        = list(string)
  default     = []
}

variable "readwrite_buckets" {
  description = "Buckets the nodes read and write besides var.buckets: persistent buckets and existing buckets mounted in MOUNT mode (the node role's S3 permissions, iam.tf)."
  type        = list(string)
  default     = []
}

variable "readonly_buckets" {
  description = "Existing buckets the nodes only read (COPY mode mounts): list and get, no writes."
  type        = list(string)
  default     = []
}

variable "autostop_action" {
  description = "What the head's autostop may do to this cluster's instances: \"\" (autostop off: no EC2 permission), \"stop\" or \"terminate\" (autostop with down)."
  type        = string
  default     = ""
  validation {
    condition     = contains(["", "stop", "terminate"], var.autostop_action)
    error_message = "autostop_action must be \"\", \"stop\" or \"terminate\"."
  }
}

variable "node_permissions_boundary" {
  description = "ARN of a managed policy set as the node role's permissions boundary: what the node identity can never exceed, whatever its inline policy says (config aws.node_permissions_boundary; a skyplan controller VM sets its own, and may create node roles only with it). null: no boundary."
  type        = string
  default     = null
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

variable "egress_cidrs" {
  description = "Destinations the nodes may reach (package mirrors, datasets, buckets, cloud APIs); open by default like every ML cluster."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}
