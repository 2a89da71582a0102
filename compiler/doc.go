// Package compiler turns an optimizer placement into a standalone Terraform
// root module that calls skyplan's hand-written per-cloud module
// (templates/<cloud>, copied to modules/<cloud>).
//
// # Root module contract
//
// The provisioner and the runner rely on this shape; keep it stable.
//
//   - main.tf: header comment, a terraform block with required_version and
//     exactly pinned providers (aws 5.100.0; google and google-beta 6.50.0;
//     azurerm 4.81.0), an optional backend block (Input.Backend), the
//     provider block(s), one root variable per module input, exactly one
//     module "cluster" call (source ./modules/<cloud>) and three outputs.
//   - skyplan.auto.tfvars.json: the values of those variables (region, zone,
//     instance type, num_nodes, image, ...). Only non-secret values; the
//     provisioner's fallback loop recompiles for another placement and only
//     this file (plus modules) changes for the same cloud and feature set.
//   - skyplan.run.tfvars.json: values only skyplan's own runs pass
//     (-var-file; cloud.RunVars), e.g. the AWS provider's fast retries, and
//     on the cluster root skyplan's own SSH key (Input.RunSSHPublicKey).
//     Terraform does not auto-load it, so a plain apply keeps the defaults.
//     No other file holds a key unless compile --ssh-public-key gave the
//     team's (Input.SSHPublicKey): ssh_public_key is otherwise a required
//     input, and the module is the same bytes whoever compiles it.
//   - the header's "regenerate in this directory with:" line is
//     Input.Command: paths relative to the module, every shaping flag.
//   - modules/<cloud>/...: verbatim copy of the embedded module.
//   - buckets/main.tf + buckets/skyplan.auto.tfvars.json: only when the task
//     has persistent buckets (file_mounts storage with persistent: true,
//     the default). A separate root (own state) so destroying the cluster
//     never deletes them. Its output "buckets" lists their names.
//
// Root outputs:
//
//	nodes    list(object({rank=number, instance_id=string, private_ip=string,
//	         public_ip=string, zone=string, ssh_user=string})), rank order,
//	         rank 0 = head; for GCP TPU pod slices one entry per host; public_ip
//	         is "" when the node has none.
//	ssh_user string
//	buckets  list(string): buckets created (and destroyed) with the cluster.
//
// Every resource that takes tags/labels carries skyplan-cluster=<cloud-safe
// name>; per-node resources add skyplan-node-rank and skyplan-head.
package compiler
