package cloud

import "strings"

// GlobalNames is a cloud whose modules create resources named in a
// namespace wider than one region (S3 bucket names are unique across all
// of AWS, GCS across all of GCP, Azure storage accounts across Azure).
// While the destroy of a failed attempt still holds such a name, an
// attempt in another region that creates the same name fails ("bucket
// already owned by you"), so the fallback loop waits for that destroy
// first; resources named per region (or by name_prefix) need no wait.
type GlobalNames interface {
	// GloballyNamedTypes lists the Terraform resource types whose names
	// are global.
	GloballyNamedTypes() []string
}

// HoldsGlobalNames reports whether any of the resource addresses (as
// Terraform prints them, module path included) is of a type the cloud
// named cloudName declares globally named.
func HoldsGlobalNames(cloudName string, addrs []string) bool {
	g, ok := As[GlobalNames](cloudName)
	if !ok {
		return false
	}
	for _, a := range addrs {
		typ := resourceType(a)
		for _, t := range g.GloballyNamedTypes() {
			if typ == t {
				return true
			}
		}
	}
	return false
}

// resourceType is the type of a resource address such as
// module.cluster.module.buckets.aws_s3_bucket.bucket["name"] (the part
// before the resource name, after any module and data prefixes).
func resourceType(addr string) string {
	if i := strings.IndexByte(addr, '['); i >= 0 {
		addr = addr[:i]
	}
	parts := strings.Split(addr, ".")
	for len(parts) >= 2 && parts[0] == "module" {
		parts = parts[2:]
	}
	if len(parts) >= 1 && parts[0] == "data" {
		return "" // data sources create nothing
	}
	if len(parts) < 2 {
		return ""
	}
	return parts[0]
}
