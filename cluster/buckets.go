package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Buckets named in file_mounts with local sources are created by the
// compiled Terraform module; their contents are uploaded here, from the
// launching machine, with the cloud's own CLI (as SkyPilot does), before
// the runner copies or mounts them on the nodes.
//
// Uploading with the CLI rather than Terraform aws_s3_object resources
// keeps data out of Terraform: one resource per file would put every file's
// hash in the state, make each plan re-read the whole data set, and make
// `down` of a persistent bucket's root a data deletion. `aws s3 sync` is
// incremental, so re-applying uploads only what changed.

// bucketUpload is one local source to copy into a created bucket.
type bucketUpload struct {
	Store  string // s3 | gcs | azure
	Bucket string
	Source string // local file or directory (absolute)
}

// bucketUploads lists the uploads a task needs on cloudName (a bucket
// without a store is in the cloud's own store).
func bucketUploads(t *task.Task, cloudName string, baseDir string) []bucketUpload {
	var out []bucketUpload
	for _, fm := range t.FileMounts {
		st := fm.Storage
		if st == nil || st.Name == "" {
			continue
		}
		store := strings.ToLower(st.Store)
		if home, ok := cloud.HomeStore(cloudName); ok && store == "" {
			store = home.Name()
		}
		for _, src := range st.Source {
			if strings.Contains(src, "://") {
				continue // an existing bucket: nothing to upload
			}
			if strings.HasPrefix(src, "~/") {
				home, _ := os.UserHomeDir()
				src = filepath.Join(home, src[2:])
			} else if !filepath.IsAbs(src) && baseDir != "" {
				src = filepath.Join(baseDir, src)
			}
			out = append(out, bucketUpload{Store: store, Bucket: st.Name, Source: absPath(src)})
		}
	}
	return out
}

// uploadCommand is the CLI invocation that copies u into its bucket.
func uploadCommand(u bucketUpload, region string) ([]string, error) {
	fi, err := os.Stat(u.Source)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: source %w", u.Bucket, err)
	}
	st, ok := cloud.LookupStore(u.Store)
	if !ok || len(st.UploadCommand(u.Source, fi.IsDir(), u.Bucket, region)) == 0 {
		return nil, fmt.Errorf("bucket %s: store %q: skyplan uploads to %s buckets", u.Bucket, u.Store, cloud.JoinNames(cloud.StoreNames()))
	}
	return st.UploadCommand(u.Source, fi.IsDir(), u.Bucket, region), nil
}

// uploadBuckets copies every local bucket source of t into its bucket.
func uploadBuckets(ctx context.Context, log io.Writer, t *task.Task, sc *state.Cluster, baseDir string) error {
	for _, u := range bucketUploads(t, sc.Cloud, baseDir) {
		args, err := uploadCommand(u, sc.Region)
		if err != nil {
			return err
		}
		exe, err := exec.LookPath(args[0])
		if err != nil {
			return fmt.Errorf("uploading %s to bucket %s needs the %s CLI on this machine: %w", u.Source, u.Bucket, args[0], err)
		}
		fmt.Fprintf(log, "Uploading %s to %s bucket %s …\n", u.Source, u.Store, u.Bucket)
		cmd := exec.CommandContext(ctx, exe, args[1:]...)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("uploading %s to bucket %s (%s): %v: %s", u.Source, u.Bucket, strings.Join(args, " "), err, oneLine(out.String(), 600))
		}
	}
	return nil
}
