package cloud

import "strings"

// Store is an object store (SkyPilot's storage "store"): how nodes fetch
// and mount its buckets and how the client uploads into them.
type Store interface {
	// Name is the store as task YAML spells it: "s3", "gcs", "azure", "r2".
	Name() string
	// OwnsURI reports whether a bucket URI belongs to the store.
	OwnsURI(uri string) bool
	// URI is the URI of bucket/sub in the store.
	URI(bucket, sub string) string
	// BucketOf splits one of the store's URIs into bucket and sub-path.
	BucketOf(uri string) (bucket, sub string)
	// FetchCommand downloads uri (one of the store's) to the shell
	// expression dstExpr on a node, as sky/cloud_stores.py: a prefix is
	// synced, a single object copied.
	FetchCommand(uri, dstExpr string) string
	// CopyCommand realises a COPY storage mount of bucket/sub at dstExpr.
	CopyCommand(bucket, sub, dstExpr string) string
	// MountCommand runs the store's FUSE tool (after the mount point is
	// prepared) to mount bucket/sub at dstExpr.
	MountCommand(bucket, sub, dstExpr string) string
	// RcloneRemote names the rclone remote of MOUNT_CACHED mounts.
	RcloneRemote() string
	// UploadCommand is the client-side CLI invocation (argv, run without a
	// shell) that copies a local file or directory into bucket (region ""
	// when unknown); nil when the client does not upload to the store.
	UploadCommand(local string, isDir bool, bucket, region string) []string
}

// WithStores is a cloud that hosts object stores. The first store is the
// cloud's own: its module creates buckets there and egress out of it is
// charged at the cloud's rates. Further stores are reached with the
// cloud's tools but hosted elsewhere (R2 through the AWS CLI).
type WithStores interface {
	Stores() []Store
}

// LookupStore returns the store called name.
func LookupStore(name string) (Store, bool) {
	for _, c := range All() {
		if ws, ok := c.(WithStores); ok {
			for _, s := range ws.Stores() {
				if strings.EqualFold(s.Name(), name) {
					return s, true
				}
			}
		}
	}
	return nil, false
}

// StoreOfURI returns the store a bucket URI belongs to.
func StoreOfURI(uri string) (Store, bool) {
	for _, c := range All() {
		if ws, ok := c.(WithStores); ok {
			for _, s := range ws.Stores() {
				if s.OwnsURI(uri) {
					return s, true
				}
			}
		}
	}
	return nil, false
}

// HomeStore is the own store of the cloud called name ("s3" for aws).
func HomeStore(cloudName string) (Store, bool) {
	if ws, ok := As[WithStores](cloudName); ok {
		if ss := ws.Stores(); len(ss) > 0 {
			return ss[0], true
		}
	}
	return nil, false
}

// StoreCloud is the cloud whose own store is called store ("aws" for
// "s3"); "" for stores no registered cloud hosts (r2).
func StoreCloud(store string) string {
	for _, c := range All() {
		if ws, ok := c.(WithStores); ok {
			if ss := ws.Stores(); len(ss) > 0 && strings.EqualFold(ss[0].Name(), store) {
				return c.Name()
			}
		}
	}
	return ""
}

// StoreNames lists every registered store, in the registry's order.
func StoreNames() []string {
	var out []string
	for _, c := range All() {
		if ws, ok := c.(WithStores); ok {
			for _, s := range ws.Stores() {
				out = append(out, s.Name())
			}
		}
	}
	return out
}

// IsCloudURI reports whether a file_mounts source or destination names a
// bucket (SCHEME://…, as SkyPilot's data_utils.is_cloud_store_url: any
// scheme, so stores skyplan cannot fetch still fail with a clear error
// instead of being taken for local paths).
func IsCloudURI(s string) bool {
	i := strings.Index(s, "://")
	return i > 0 && !strings.ContainsAny(s[:i], "/ ")
}

// ShellQuote quotes s for a POSIX shell (unquoted when it is safe).
func ShellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
		}
	}
	return s
}
