# Azure Blob containers for file_mounts. Each bucket gets its own storage
# account (name derived from the bucket name, so it is stable across
# recompiles) that only the cluster's subnet and the allowed addresses can
# reach; TLS 1.2, HTTPS only, no public blobs.

locals {
  tags = merge(var.labels, var.cluster_name == "" ? {} : { "skyplan-cluster" = var.cluster_name }, { "skyplan-bucket" = "true" })
  # Storage account names: 3-24 lowercase letters and digits, globally unique.
  accounts = { for n in var.names : n => substr("sky${sha1(n)}", 0, 24) }
  # Node traffic reaches the account through the cluster subnet's
  # Microsoft.Storage service endpoint, so the subnet must be allowed.
  # Persistent buckets are created before the cluster: their root names
  # the cluster subnet by its parts (cluster_subnets).
  subnet_ids = concat(var.allowed_subnet_ids, [for s in var.cluster_subnets : join("/", [
    "/subscriptions", data.azurerm_client_config.current.subscription_id,
    "resourceGroups", s.resource_group, "providers/Microsoft.Network/virtualNetworks", s.vnet, "subnets", s.subnet,
  ])])
}

data "azurerm_client_config" "current" {}

resource "azurerm_resource_group" "bucket" {
  for_each = var.resource_group_name == "" ? toset(var.names) : toset([])
  name     = "skyplan-bucket-${each.key}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_storage_account" "bucket" {
  for_each                        = toset(var.names)
  name                            = local.accounts[each.key]
  resource_group_name             = var.resource_group_name == "" ? azurerm_resource_group.bucket[each.key].name : var.resource_group_name
  location                        = var.location
  account_tier                    = "Standard"
  account_replication_type        = "LRS"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  tags                            = merge(local.tags, { "skyplan-bucket-name" = each.key })

  network_rules {
    default_action             = "Deny"
    bypass                     = ["AzureServices"]
    ip_rules                   = var.allowed_ips
    virtual_network_subnet_ids = local.subnet_ids
  }

  sas_policy {
    expiration_period = "1.00:00:00"
  }

  # No queue_properties (nor static_website): azurerm reads and writes them
  # through the account's data plane, which default_action = "Deny" answers
  # with 403 for a plan from any address outside allowed_ips (CI runners).
  # The root's provider sets storage.data_plane_available = false, so plans
  # and applies use Azure Resource Manager only; the accounts hold blob
  # containers and no queue.

}

resource "azurerm_storage_container" "bucket" {
  for_each              = toset(var.names)
  name                  = each.key
  storage_account_id    = azurerm_storage_account.bucket[each.key].id
  container_access_type = "private"
}
