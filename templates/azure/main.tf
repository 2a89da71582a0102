# skyplan Azure cluster: resource group, VNet/subnet with an NSG (or an
# existing VNet), a public IP and NIC per node, num_nodes Linux VMs.

locals {
  create_network = var.vpc_name == ""
  # An existing subnet is read, not assembled from its name: the data
  # source fails the plan when it does not exist and gives Azure's own ID.
  subnet_id = local.create_network ? azurerm_subnet.cluster[0].id : data.azurerm_subnet.existing[0].id
  # Storage network rules may name only subnets with the Microsoft.Storage
  # service endpoint (Azure refuses others); without it nodes of an existing
  # subnet reach the cluster's blobs only through allowed_ips.
  storage_subnet_ids = local.create_network ? [azurerm_subnet.cluster[0].id] : (
    contains(data.azurerm_subnet.existing[0].service_endpoints, "Microsoft.Storage") ? [data.azurerm_subnet.existing[0].id] : []
  )
  tags             = merge(var.labels, { "skyplan-cluster" = var.cluster_name })
  storage_accounts = { for n in distinct(concat(var.buckets, var.readwrite_buckets)) : n => substr("sky${sha1(n)}", 0, 24) }
  node_cloud_init = join("\n", [
    "#cloud-config",
    "write_files:",
    "  - path: /etc/skyplan/azure-storage-accounts",
    "    permissions: '0644'",
    "    content: ${jsonencode(join("", [for n, a in local.storage_accounts : "${n}=${a}\n"]))}",
    "runcmd:",
    "  - [sh, -c, 'echo AZURE_STORAGE_AUTH_TYPE=msi >> /etc/environment']",
    "  - [sh, -c, 'echo AZURE_STORAGE_IDENTITY_CLIENT_ID=${azurerm_user_assigned_identity.node.client_id} >> /etc/environment']",
    "",
  ])
  # Azure storage rules take bare addresses for single hosts.
  storage_ip_rules = [for c in var.ssh_cidrs : endswith(c, "/32") ? trimsuffix(c, "/32") : c]
}

data "azurerm_subnet" "existing" {
  count                = local.create_network ? 0 : 1
  name                 = var.subnet_name == "" ? "default" : var.subnet_name
  virtual_network_name = split("/", var.vpc_name)[1]
  resource_group_name  = split("/", var.vpc_name)[0]
}

resource "azurerm_resource_group" "cluster" {
  name     = "${var.cluster_name}-${var.location}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_virtual_network" "cluster" {
  count               = local.create_network ? 1 : 0
  name                = "${var.cluster_name}-vnet"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  address_space       = ["10.0.0.0/16"]
  tags                = local.tags
}

resource "azurerm_subnet" "cluster" {
  count                = local.create_network ? 1 : 0
  name                 = "${var.cluster_name}-subnet"
  resource_group_name  = azurerm_resource_group.cluster.name
  virtual_network_name = azurerm_virtual_network.cluster[0].name
  address_prefixes     = ["10.0.0.0/20"]
  service_endpoints    = ["Microsoft.Storage"]
}

resource "azurerm_network_security_group" "cluster" {
  name                = "${var.cluster_name}-nsg"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  tags                = local.tags
}

resource "azurerm_network_security_rule" "ssh" {
  name                        = "ssh"
  description                 = "SSH from the allowed CIDRs"
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "22"
  source_address_prefixes     = var.ssh_cidrs
  destination_address_prefix  = "*"
  resource_group_name         = azurerm_resource_group.cluster.name
  network_security_group_name = azurerm_network_security_group.cluster.name
}

resource "azurerm_network_security_rule" "ports" {
  count                      = length(var.ports) > 0 && length(var.ports_cidrs) > 0 ? 1 : 0
  name                       = "task-ports"
  description                = "Ports the task exposes"
  priority                   = 110
  direction                  = "Inbound"
  access                     = "Allow"
  protocol                   = "Tcp"
  source_port_range          = "*"
  destination_port_ranges    = [for p in var.ports : p.from == p.to ? tostring(p.from) : "${p.from}-${p.to}"]
  destination_address_prefix = "*"
  #tfsec:ignore:azure-network-no-public-ingress Exposure is var.ports_cidrs (ports_cidrs / --ports-cidr); 0.0.0.0/0 only when unset, with a compile warning.
  source_address_prefixes     = var.ports_cidrs
  resource_group_name         = azurerm_resource_group.cluster.name
  network_security_group_name = azurerm_network_security_group.cluster.name
}

# The cluster's own subnet carries the NSG.
resource "azurerm_subnet_network_security_group_association" "cluster" {
  count                     = local.create_network ? 1 : 0
  subnet_id                 = azurerm_subnet.cluster[0].id
  network_security_group_id = azurerm_network_security_group.cluster.id
}

# In an existing subnet the NSG guards each node's NIC instead: associating
# it with the team's shared subnet would replace that subnet's own NSG for
# every other VM in it (a subnet has one). Azure applies both the subnet's
# NSG and this one, so the cluster can only narrow what the subnet allows.
resource "azurerm_network_interface_security_group_association" "node" {
  count                     = local.create_network ? 0 : var.num_nodes
  network_interface_id      = azurerm_network_interface.node[count.index].id
  network_security_group_id = azurerm_network_security_group.cluster.id
}

resource "azurerm_proximity_placement_group" "cluster" {
  count               = var.proximity_placement ? 1 : 0
  name                = "${var.cluster_name}-ppg"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  tags                = local.tags
}

resource "azurerm_public_ip" "node" {
  count               = var.use_private_ip ? 0 : var.num_nodes
  name                = "${var.cluster_name}-${count.index}-ip"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  allocation_method   = "Static"
  sku                 = "Standard"
  tags = merge(local.tags, {
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })
}

resource "azurerm_network_interface" "node" {
  count               = var.num_nodes
  name                = "${var.cluster_name}-${count.index}-nic"
  location            = var.location
  resource_group_name = azurerm_resource_group.cluster.name
  tags = merge(local.tags, {
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })
  ip_configuration {
    name                          = "primary"
    subnet_id                     = local.subnet_id
    private_ip_address_allocation = "Dynamic"
    public_ip_address_id          = var.use_private_ip ? null : azurerm_public_ip.node[count.index].id
  }
}

resource "azurerm_linux_virtual_machine" "node" {
  count                           = var.num_nodes
  name                            = "${var.cluster_name}-${count.index}"
  location                        = var.location
  resource_group_name             = azurerm_resource_group.cluster.name
  size                            = var.vm_size
  admin_username                  = var.ssh_user
  disable_password_authentication = true
  network_interface_ids           = [azurerm_network_interface.node[count.index].id]
  proximity_placement_group_id    = var.proximity_placement ? azurerm_proximity_placement_group.cluster[0].id : null
  priority                        = var.use_spot ? "Spot" : "Regular"
  eviction_policy                 = var.use_spot ? "Delete" : null
  # -1: pay up to the on-demand price, evicted only for capacity.
  max_bid_price = var.use_spot ? -1 : null
  tags = merge(local.tags, {
    "skyplan-node-rank" = tostring(count.index)
    "skyplan-head"      = count.index == 0 ? "true" : "false"
  })

  # The cluster's own identity (identity.tf).
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.node.id]
  }

  # Tells the node's tools which identity and which storage account holds
  # each bucket (every bucket has its own account): blobfuse2 and azcopy
  # read AZURE_STORAGE_AUTH_TYPE/AZURE_STORAGE_IDENTITY_CLIENT_ID, the
  # runner reads AZURE_STORAGE_ACCOUNT of a bucket from
  # /etc/skyplan/azure-storage-accounts (BUCKET=ACCOUNT lines). No secret.
  custom_data = base64encode(local.node_cloud_init)

  admin_ssh_key {
    username   = var.ssh_user
    public_key = var.ssh_public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = var.disk_type
    disk_size_gb         = var.disk_size_gb
  }

  source_image_reference {
    publisher = var.image.publisher
    offer     = var.image.offer
    sku       = var.image.sku
    version   = var.image.version
  }

  # The NSG must guard the subnet (or the NIC) before a VM gets a public address.
  depends_on = [
    azurerm_subnet_network_security_group_association.cluster,
    azurerm_network_interface_security_group_association.node,
    azurerm_network_security_rule.ssh,
  ]
}

module "buckets" {
  source              = "./buckets"
  names               = var.buckets
  resource_group_name = azurerm_resource_group.cluster.name
  location            = var.location
  cluster_name        = var.cluster_name
  labels              = var.labels
  allowed_ips         = local.storage_ip_rules
  allowed_subnet_ids  = local.storage_subnet_ids
}
