# Inputs of the skyplan controller module. skyplan's controllervm package
# fills them from config (jobs.controller / serve.controller, ssh_cidrs,
# serve.allowed_cidrs) and the catalog; every value is non-secret and lives
# in the root's skyplan.auto.tfvars.json. Exposure is in ssh_cidrs,
# serve_ports, serve_allowed_cidrs, egress_cidrs and bucket_arns.

variable "name" {
  description = "Cloud-safe controller name; prefix of every resource name and value of its skyplan-controller tag."
  type        = string
  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name)) && !strcontains(var.name, "-node-")
    error_message = "name must be 1-32 lowercase letters, digits or hyphens, start with a letter and not contain -node- (the pattern of cluster node roles)."
  }
}

variable "instance_type" {
  description = "EC2 instance type of the controller (default: the catalog's cheapest with at least 2 vCPUs and 2 GiB)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9-]+\\.[a-z0-9-]+$", var.instance_type))
    error_message = "instance_type must look like family.size, e.g. c6i.large."
  }
}

variable "ami_id" {
  description = "Image of the controller (Ubuntu; the skyplan binary is copied onto it over SSH)."
  type        = string
  validation {
    condition     = can(regex("^ami-[0-9a-f]+$", var.ami_id))
    error_message = "ami_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "ssh_user" {
  description = "Login user of the image."
  type        = string
  default     = "ubuntu"
}

variable "ssh_public_key" {
  description = "skyplan's SSH public key (authorized_keys line); the private key never leaves the client."
  type        = string
  validation {
    condition     = can(regex("^(ssh-|ecdsa-)", var.ssh_public_key))
    error_message = "ssh_public_key must be an OpenSSH public key line."
  }
}

variable "ssh_cidrs" {
  description = "Source ranges allowed to reach SSH (port 22), the only way to administer the controller."
  type        = list(string)
  validation {
    condition     = length(var.ssh_cidrs) > 0 && alltrue([for c in var.ssh_cidrs : can(cidrhost(c, 0))])
    error_message = "ssh_cidrs must list at least one CIDR block; skyplan never opens SSH to the Internet by default."
  }
}

variable "serve_ports" {
  description = "Port ranges of the services' load balancers on the controller (SkyServe's 30001-30100 by default)."
  type        = list(object({ from = number, to = number }))
  default     = []
  validation {
    condition     = alltrue([for p in var.serve_ports : p.from >= 1 && p.to <= 65535 && p.from <= p.to && !(p.from <= 22 && 22 <= p.to)])
    error_message = "serve_ports must be ranges within 1-65535 that do not include 22."
  }
}

variable "serve_allowed_cidrs" {
  description = "Source ranges allowed to reach serve_ports (serve.allowed_cidrs; default: ssh_cidrs)."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for c in var.serve_allowed_cidrs : can(cidrhost(c, 0))])
    error_message = "serve_allowed_cidrs must be CIDR blocks."
  }
}

variable "egress_cidrs" {
  description = "Destinations the controller may reach: AWS APIs, cluster nodes over SSH, replicas."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "bucket_arns" {
  description = "S3 buckets the controller may create, configure and delete for tasks' file_mounts (narrow to e.g. arn:aws:s3:::skyplan-* when task bucket names follow a pattern)."
  type        = list(string)
  default     = ["arn:aws:s3:::*"]
  validation {
    condition     = length(var.bucket_arns) > 0 && alltrue([for a in var.bucket_arns : startswith(a, "arn:aws") && strcontains(a, ":s3:::")])
    error_message = "bucket_arns must be S3 bucket ARNs (arn:aws:s3:::NAME, wildcards allowed)."
  }
}

variable "root_disk_gb" {
  description = "Root disk size; state lives on the separate state volume."
  type        = number
  default     = 20
}

variable "state_mount" {
  description = "Where user-data mounts the state volume ($SKYPLAN_HOME of the daemon is state_mount/home)."
  type        = string
  default     = "/var/lib/skyplan"
}

variable "labels" {
  description = "Extra tags on every resource."
  type        = map(string)
  default     = {}
}
