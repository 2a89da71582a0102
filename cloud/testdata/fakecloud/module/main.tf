# A tiny module for the fake cloud of cloud/fakecloud_test.go: it creates
# nothing and echoes its inputs as the nodes output every module has.
variable "cluster_name" { type = string }
variable "num_nodes" { type = number }
variable "use_spot" { type = bool }
variable "ssh_user" { type = string }
variable "ssh_public_key" { type = string }
variable "ssh_cidrs" { type = list(string) }
variable "ports" { type = list(object({ from = number, to = number })) }
variable "vpc_name" { type = string }
variable "subnet_name" { type = string }
variable "use_private_ip" { type = bool }
variable "labels" { type = map(string) }
variable "zone" { type = string }
variable "instance_type" { type = string }

output "nodes" {
  value = [for i in range(var.num_nodes) : {
    rank = i, instance_id = "fake-${i}", private_ip = "10.0.0.${i + 1}", public_ip = "",
    zone = var.zone, ssh_user = var.ssh_user
  }]
}
output "ssh_user" { value = var.ssh_user }
output "buckets" { value = [] }
