// Package azure is skyplan's Azure: identity, locality (region-level: VMs
// are requested without a zone), Blob storage, self-stop on the head and
// egress prices.
package azure

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

// Cloud is Azure.
type Cloud struct{}

var _ interface {
	cloud.Cloud
	cloud.Locality
	cloud.WithStores
	cloud.SelfStop
	cloud.Egress
} = Cloud{}

func (Cloud) Name() string           { return "azure" }
func (Cloud) DisplayName() string    { return "Azure" }
func (Cloud) DefaultSSHUser() string { return "azureuser" }

// Azure placements are region-level in both markets, with no zones: a
// capacity error there rules out the region (SkyPilot's Azure handler).
func (Cloud) ZoneLevel(bool) bool { return false }
func (Cloud) HasZones() bool      { return false }

func (Cloud) Stores() []cloud.Store { return []cloud.Store{Blob{}} }

// GloballyNamedTypes: storage account names are unique across Azure.
func (Cloud) GloballyNamedTypes() []string { return []string{"azurerm_storage_account"} }

// HeadCommand needs a managed identity with Virtual Machine Contributor on
// the resource group.
func (Cloud) HeadCommand(region, zone, ids string, down bool) string {
	verb := "deallocate"
	if down {
		verb = "delete --yes"
	}
	return fmt.Sprintf("az login --identity >/dev/null && az vm %s --ids %s", verb, ids)
}

// EgressCost (from US East): the AWS shape at $0.0875 / $0.083 / $0.07 / $0.05.
func (Cloud) EgressCost(gb float64) float64 { return cloud.TieredEgress(gb, 0.0875, 0.083, 0.07) }

// Blob is Azure Blob Storage: https://ACCOUNT.blob.core.windows.net/C/...,
// and azure:// or az:// URIs.
type Blob struct{}

func (Blob) Name() string { return "azure" }
func (Blob) OwnsURI(uri string) bool {
	if strings.HasPrefix(uri, "azure://") || strings.HasPrefix(uri, "az://") {
		return true
	}
	u, err := url.Parse(uri)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") &&
		strings.HasSuffix(strings.ToLower(u.Hostname()), ".blob.core.windows.net")
}

// URI of a container of the node's storage account (AZURE_STORAGE_ACCOUNT).
func (Blob) URI(bucket, sub string) string {
	return "https://${AZURE_STORAGE_ACCOUNT}.blob.core.windows.net/" + path.Join(bucket, sub)
}

func (Blob) BucketOf(uri string) (string, string) {
	_, rest, _ := strings.Cut(uri, "://")
	if strings.HasPrefix(uri, "https://") || strings.HasPrefix(uri, "http://") { // acct.blob.core.windows.net/container/sub
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			rest = rest[j+1:]
		}
	}
	b, sub, _ := strings.Cut(rest, "/")
	return b, sub
}
func (Blob) RcloneRemote() string { return "azure" }

func (Blob) FetchCommand(uri, dst string) string {
	return fmt.Sprintf(`mkdir -p "$(dirname %[2]s)" && azcopy copy --recursive=true %[1]s %[2]s`, cloud.ShellQuote(uri), dst)
}

// storageAccount exports AZURE_STORAGE_ACCOUNT for bucket: every bucket
// has its own storage account, and the cluster module writes BUCKET=ACCOUNT
// lines to /etc/skyplan/azure-storage-accounts on the nodes
// (templates/azure/main.tf); a line there wins over the environment.
func storageAccount(bucket string) string {
	return fmt.Sprintf(`{ a=$(sed -n %s /etc/skyplan/azure-storage-accounts 2>/dev/null); if [ -n "$a" ]; then export AZURE_STORAGE_ACCOUNT="$a"; fi; } && `,
		cloud.ShellQuote("s/^"+bucket+"=//p"))
}

func (Blob) CopyCommand(bucket, sub, dst string) string {
	return storageAccount(bucket) + fmt.Sprintf(`mkdir -p %s && azcopy copy --recursive=true "https://${AZURE_STORAGE_ACCOUNT}.blob.core.windows.net/"%s/* %s`, dst, cloud.ShellQuote(path.Join(bucket, sub)), dst)
}

func (Blob) MountCommand(bucket, sub, dst string) string {
	return storageAccount(bucket) + fmt.Sprintf(`mkdir -p ~/.sky/blobfuse2_cache && AZURE_STORAGE_ACCOUNT_CONTAINER=%s blobfuse2 %s --allow-other --container-name %s --tmp-path ~/.sky/blobfuse2_cache`,
		cloud.ShellQuote(bucket), dst, cloud.ShellQuote(bucket))
}

func (Blob) UploadCommand(local string, isDir bool, bucket, region string) []string {
	return []string{"az", "storage", "blob", "upload-batch", "--overwrite", "--destination", bucket, "--source", local}
}
