package compiler

import (
	"sort"
	"strings"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/diag"
)

// buckets splits the task's storage file mounts that skyplan must create
// into ephemeral (persistent: false, created with the cluster) and
// persistent ones (kept in the separate buckets root). Mounts of existing
// buckets (source is a bucket URI) create nothing.
func (c *compilation) buckets() (ephemeral, persistent []string, ds diag.Diagnostics) {
	if c.in.Task == nil {
		return nil, nil, nil
	}
	onCloud := c.in.Placement.Cloud
	for _, fm := range c.in.Task.FileMounts {
		st := fm.Storage
		if st == nil {
			continue
		}
		field := "file_mounts." + fm.Dst
		if st.Name == "" || (len(st.Source) == 1 && strings.Contains(st.Source[0], "://")) {
			continue // an existing bucket: mounted, not created
		}
		store := strings.ToLower(st.Store)
		if store != "" {
			want := cloud.StoreCloud(store)
			if want == "" {
				ds = append(ds, c.errf(field, "Storage store not supported", "skyplan creates %s buckets; %q uses store %q.", homeStores(), st.Name, st.Store))
				continue
			}
			if want != onCloud {
				ds = append(ds, c.errf(field, "Bucket on another cloud", "Bucket %q uses store %s but the cluster runs on %s; skyplan creates buckets on the cluster's cloud. Remove store: to use %s, or pin the task to %s with infra.", st.Name, st.Store, onCloud, onCloud, want))
				continue
			}
		}
		if st.Persistent {
			persistent = append(persistent, st.Name)
		} else {
			ephemeral = append(ephemeral, st.Name)
		}
	}
	return dedupe(ephemeral), dedupe(persistent), ds
}

// homeStores lists the stores skyplan creates buckets in (each compiled
// cloud's own store): "s3, azure and gcs".
func homeStores() string {
	var names []string
	for _, c := range cloud.With[cloud.Module]() {
		if s, ok := cloud.HomeStore(c); ok {
			names = append(names, s.Name())
		}
	}
	return cloud.JoinNames(names)
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	if out == nil {
		return []string{}
	}
	return out
}

// nodeBucketAccess lists the buckets the nodes' identity may use besides
// the ephemeral ones the module creates: persistent buckets and existing
// buckets mounted in MOUNT mode are read-write, existing buckets copied
// (COPY mode, or a plain URI file mount) are read-only. Only buckets of the
// cloud's own store get a grant (others' credentials are the user's).
func (c *compilation) nodeBucketAccess() (readwrite, readonly []string) {
	readwrite, readonly = []string{}, []string{}
	if c.in.Task == nil {
		return
	}
	_, pers, _ := c.buckets()
	readwrite = append(readwrite, pers...)
	home, ok := cloud.HomeStore(c.in.Placement.Cloud)
	bucketOf := func(uri string) string {
		if !ok || !home.OwnsURI(uri) {
			return ""
		}
		b, _ := home.BucketOf(uri)
		return b
	}
	for _, fm := range c.in.Task.FileMounts {
		if fm.Storage == nil {
			if b := bucketOf(fm.Src); b != "" {
				readonly = append(readonly, b)
			}
			continue
		}
		st := fm.Storage
		if st.Name != "" && !(len(st.Source) == 1 && strings.Contains(st.Source[0], "://")) {
			continue // created by skyplan: in buckets() already
		}
		if len(st.Source) != 1 {
			continue
		}
		if b := bucketOf(st.Source[0]); b != "" {
			if strings.EqualFold(st.Mode, "COPY") {
				readonly = append(readonly, b)
			} else {
				readwrite = append(readwrite, b)
			}
		}
	}
	readwrite = dedupe(readwrite)
	var ro []string
	for _, b := range dedupe(readonly) {
		if !contains(readwrite, b) {
			ro = append(ro, b)
		}
	}
	if ro == nil {
		ro = []string{}
	}
	return readwrite, ro
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// autostopAction is what the head's autostop script does to the cluster's
// machines ("" when the task sets no autostop): the node identity gets
// that one permission and nothing else.
func (c *compilation) autostopAction() string {
	a := c.req.Autostop
	if a == nil || !a.Enabled {
		return ""
	}
	if a.Down {
		return "terminate"
	}
	return "stop"
}
