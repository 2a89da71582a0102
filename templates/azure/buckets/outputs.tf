output "names" {
  description = "Created container names, sorted."
  value       = sort([for c in azurerm_storage_container.bucket : c.name])
}

output "storage_accounts" {
  description = "Bucket name → storage account that holds its container."
  value       = local.accounts
}
