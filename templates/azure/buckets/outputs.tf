output "names" {
  description = "Created container names, sorted."
  value       = sort([for c in azurerm_storage_container.bucket : c.name])
}

output "storage_accounts" {
  description = "Bucket name → storage account that holds its container."
  value       = local.accounts
}

output "account_ids" {
  description = "Bucket name → resource ID of its storage account (scope of the nodes' role assignments)."
  value       = { for n, a in azurerm_storage_account.bucket : n => a.id }
}
