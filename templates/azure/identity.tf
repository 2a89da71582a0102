# Node identity: one user-assigned managed identity per cluster, attached
# to every VM, so blobfuse2/azcopy (AZURE_STORAGE_AUTH_TYPE=msi) and the
# autostop script (az login --identity) need no keys on the nodes. Its
# role assignments are all this identity can do:
#
#   var.buckets (created with the cluster) and var.readwrite_buckets
#     (persistent buckets): "Storage Blob Data Contributor" on each
#     bucket's own storage account (read, write, delete blobs), not on the
#     resource group or subscription.
#   var.autostop_action = "stop" / "terminate": "Virtual Machine
#     Contributor" on each of this cluster's VMs only (az vm deallocate /
#     az vm delete), nothing when autostop is off.

resource "azurerm_user_assigned_identity" "node" {
  name                = "${var.cluster_name}-node"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  tags                = local.tags
}

# Persistent buckets live in the buckets root, applied before this one.
data "azurerm_storage_account" "persistent" {
  for_each            = toset(var.readwrite_buckets)
  name                = substr("sky${sha1(each.key)}", 0, 24)
  resource_group_name = "skyplan-bucket-${each.key}"
}

resource "azurerm_role_assignment" "buckets" {
  for_each             = toset(var.buckets)
  scope                = module.buckets.account_ids[each.key]
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.node.principal_id
  principal_type       = "ServicePrincipal"
  description          = "skyplan-cluster=${var.cluster_name}: nodes read and write bucket ${each.key}"
}

resource "azurerm_role_assignment" "persistent_buckets" {
  for_each             = toset(var.readwrite_buckets)
  scope                = data.azurerm_storage_account.persistent[each.key].id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.node.principal_id
  principal_type       = "ServicePrincipal"
  description          = "skyplan-cluster=${var.cluster_name}: nodes read and write persistent bucket ${each.key}"
}

resource "azurerm_role_assignment" "autostop" {
  count                = var.autostop_action == "" ? 0 : var.num_nodes
  scope                = azurerm_linux_virtual_machine.node[count.index].id
  role_definition_name = "Virtual Machine Contributor"
  principal_id         = azurerm_user_assigned_identity.node.principal_id
  principal_type       = "ServicePrincipal"
  description          = "skyplan-cluster=${var.cluster_name}: autostop may ${var.autostop_action} this VM"
}
