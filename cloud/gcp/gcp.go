// Package gcp is skyplan's GCP: identity, locality (every request per
// zone), GCS, self-stop on the head and egress prices.
package gcp

import (
	"fmt"
	"path"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

// Cloud is GCP.
type Cloud struct{}

var _ interface {
	cloud.Cloud
	cloud.Locality
	cloud.WithStores
	cloud.SelfStop
	cloud.Egress
} = Cloud{}

func (Cloud) Name() string           { return "gcp" }
func (Cloud) DisplayName() string    { return "GCP" }
func (Cloud) DefaultSSHUser() string { return "gcpuser" }

// ZoneLevel: GCP prices and places every request per zone.
func (Cloud) ZoneLevel(bool) bool { return true }
func (Cloud) HasZones() bool      { return true }

func (Cloud) Stores() []cloud.Store { return []cloud.Store{GCS{}} }

// GloballyNamedTypes: bucket names are unique across the whole cloud.
func (Cloud) GloballyNamedTypes() []string { return []string{"google_storage_bucket"} }

// HeadCommand needs a service account with compute.instances.stop/delete.
func (Cloud) HeadCommand(region, zone, ids string, down bool) string {
	verb := "stop"
	if down {
		verb = "delete --quiet"
	}
	return fmt.Sprintf("gcloud compute instances %s --zone %s %s", verb, cloud.ShellQuote(zone), ids)
}

// EgressCost: GCP prices the whole volume at the tier it falls in (not
// marginal tiers): $0.12/GB up to 1 TB, $0.11 up to 10 TB, $0.08 beyond.
func (Cloud) EgressCost(gb float64) float64 {
	switch {
	case gb <= 1024:
		return 0.12 * gb
	case gb <= 10*1024:
		return 0.11 * gb
	default:
		return 0.08 * gb
	}
}

// GCS is Google Cloud Storage (gs:// and gcs:// URIs).
type GCS struct{}

func (GCS) Name() string { return "gcs" }
func (GCS) OwnsURI(uri string) bool {
	return strings.HasPrefix(uri, "gs://") || strings.HasPrefix(uri, "gcs://")
}
func (GCS) URI(bucket, sub string) string { return "gs://" + path.Join(bucket, sub) }
func (GCS) BucketOf(uri string) (string, string) {
	_, rest, _ := strings.Cut(uri, "://")
	b, sub, _ := strings.Cut(rest, "/")
	return b, sub
}
func (GCS) RcloneRemote() string { return "gcs" }

func (GCS) FetchCommand(uri, dst string) string {
	return fmt.Sprintf(`if gsutil -q stat %[1]s; then mkdir -p "$(dirname %[2]s)" && gsutil cp %[1]s %[2]s; `+
		`else mkdir -p %[2]s && gsutil -m rsync -e -r %[1]s %[2]s; fi`, cloud.ShellQuote(uri), dst)
}

func (g GCS) CopyCommand(bucket, sub, dst string) string {
	return g.FetchCommand(g.URI(bucket, sub), dst)
}

func (GCS) MountCommand(bucket, sub, dst string) string {
	only := ""
	if sub != "" {
		only = "--only-dir " + cloud.ShellQuote(sub) + " "
	}
	return fmt.Sprintf(`gcsfuse -o allow_other --implicit-dirs --stat-cache-capacity 4096 --stat-cache-ttl 5s --type-cache-ttl 5s %s%s %s`, only, cloud.ShellQuote(bucket), dst)
}

func (GCS) UploadCommand(local string, isDir bool, bucket, region string) []string {
	if !isDir {
		return []string{"gsutil", "cp", local, "gs://" + bucket + "/"}
	}
	return []string{"gsutil", "-m", "rsync", "-r", local, "gs://" + bucket}
}
