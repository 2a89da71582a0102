package runner

import (
	"context"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/task"
)

// sudoPrefix picks sudo only when not root and sudo exists, so the same
// commands work on cloud images and on root-only machines.
const sudoPrefix = `SUDO=; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo -n"; `

// RemotePathExpr turns a file_mounts destination into a shell expression
// on the node: relative → ~/sky_workdir/<dst>, ~/x → $HOME/x, absolute as is.
func RemotePathExpr(dst string) string {
	switch {
	case dst == "~":
		return `"$HOME"`
	case strings.HasPrefix(dst, "~/"):
		return `"$HOME"/` + shellQuote(strings.TrimPrefix(dst, "~/"))
	case strings.HasPrefix(dst, "/"):
		return shellQuote(dst)
	}
	return workdirExpr + "/" + shellQuote(dst)
}

// needsSymlink reports whether dst is an absolute path outside the user's
// writable places; SkyPilot copies those to ~/.sky/file_mounts/<dst> and
// links them into place with sudo.
func needsSymlink(dst string) bool {
	return strings.HasPrefix(dst, "/") && !strings.HasPrefix(dst, "/tmp/") && dst != "/tmp"
}

// IsCloudURI reports whether a file_mounts source is a bucket URI
// (cloud.IsCloudURI, the one definition task validation uses too).
func IsCloudURI(src string) bool { return cloud.IsCloudURI(src) }

// CloudFetchCommand downloads a bucket URI to dstExpr on a node with the
// store's CLI, as sky/cloud_stores.py: a prefix is synced, a single object
// copied.
func CloudFetchCommand(src, dstExpr string) (string, error) {
	st, ok := cloud.StoreOfURI(src)
	if !ok {
		return "", fmt.Errorf("unsupported file_mounts source %q: use one of the stores %s (s3://, gs://, r2:// or https://<account>.blob.core.windows.net/<container>)", src, strings.Join(cloud.StoreNames(), ", "))
	}
	return st.FetchCommand(src, dstExpr), nil
}

// storeOf infers a bucket's store from its spec, its URI, or the cloud's
// own store.
func storeOf(st *task.Storage, cloudName string) (cloud.Store, bool) {
	if st.Store != "" {
		return cloud.LookupStore(st.Store)
	}
	for _, s := range st.Source {
		if s, ok := cloud.StoreOfURI(s); ok {
			return s, true
		}
	}
	if s, ok := cloud.HomeStore(cloudName); ok {
		return s, true
	}
	return cloud.LookupStore("s3") // SkyPilot's default store
}

// bucketOf returns the bucket name and sub-path of a storage spec.
func bucketOf(st *task.Storage, store cloud.Store) (bucket, sub string) {
	for _, s := range st.Source {
		if store.OwnsURI(s) {
			return store.BucketOf(s)
		}
	}
	return st.Name, ""
}

// StorageCommand realises one bucket file mount on a node: COPY downloads
// it, MOUNT uses the FUSE tool SkyPilot uses for the store (goofys for S3,
// gcsfuse for GCS, blobfuse2 for Azure), MOUNT_CACHED uses rclone's VFS cache.
func StorageCommand(dst string, st *task.Storage, cloudName string) (string, error) {
	store, ok := storeOf(st, cloudName)
	if !ok {
		return "", fmt.Errorf("file_mounts.%s: store %q is not supported by skyplan (use %s)", dst, strings.ToLower(st.Store), strings.Join(cloud.StoreNames(), ", "))
	}
	bucket, sub := bucketOf(st, store)
	if bucket == "" {
		return "", fmt.Errorf("file_mounts.%s: storage has neither name nor bucket source", dst)
	}
	mode := strings.ToUpper(st.Mode)
	if mode == "" {
		mode = "MOUNT"
	}
	d := RemotePathExpr(dst)
	if mode == "COPY" {
		return store.CopyCommand(bucket, sub, d), nil
	}
	// Prepare the mount point as SkyPilot's mount script: unmount a stale
	// mount, create the path world-writable, refuse a non-empty directory.
	prep := sudoPrefix + fmt.Sprintf(`(mountpoint -q %[1]s && $SUDO fusermount -u %[1]s || true) && `+
		`$SUDO mkdir -p %[1]s && $SUDO chmod 777 %[1]s && `+
		`{ [ -z "$(ls -A %[1]s)" ] || { echo "Mount path %[2]s is non-empty. Use an empty directory for MOUNT." >&2; exit 1; }; } && `,
		d, dst)
	if mode == "MOUNT_CACHED" {
		return prep + fmt.Sprintf(`mkdir -p ~/.sky && rclone mount %s:%s %s --daemon --daemon-wait 10 --allow-other --vfs-cache-mode full --log-file ~/.sky/rclone_log`,
			store.RcloneRemote(), shellQuote(path.Join(bucket, sub)), d), nil
	}
	return prep + store.MountCommand(bucket, sub, d), nil
}

// fileMounts copies local file mounts and fetches cloud-URI ones on every
// node, then runs storage mounts (SkyPilot's order).
func (s *session) fileMounts(ctx context.Context, mounts []task.FileMount, baseDir string) error {
	var storage []task.FileMount
	for _, m := range mounts {
		if m.Storage != nil {
			storage = append(storage, m)
			continue
		}
		if IsCloudURI(m.Src) {
			cmd, err := CloudFetchCommand(m.Src, RemotePathExpr(m.Dst))
			if err != nil {
				return err
			}
			if err := s.runAll(ctx, cmd, "fetching "+m.Src); err != nil {
				return err
			}
			continue
		}
		if err := s.localMount(ctx, m, baseDir); err != nil {
			return err
		}
	}
	for _, m := range storage {
		cmd, err := StorageCommand(m.Dst, m.Storage, s.cl.Cloud)
		if err != nil {
			return err
		}
		if err := s.runAll(ctx, cmd, "mounting storage at "+m.Dst); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) localMount(ctx context.Context, m task.FileMount, baseDir string) error {
	src := m.Src
	if strings.HasPrefix(src, "~/") {
		home, _ := os.UserHomeDir()
		src = filepath.Join(home, src[2:])
	} else if !filepath.IsAbs(src) && baseDir != "" {
		src = filepath.Join(baseDir, src)
	}
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("file_mounts.%s: source %s: %w", m.Dst, m.Src, err)
	}
	target := RemotePathExpr(m.Dst)
	link := ""
	if needsSymlink(m.Dst) {
		link = target
		target = `"$HOME"/.sky/file_mounts` + shellQuote(m.Dst)
	}
	var tarPath, cmd string
	if fi.IsDir() {
		p, _, err := tarTree(src, true)
		if err != nil {
			return err
		}
		tarPath, cmd = p, extractCmd(target)
	} else {
		p, err := tarFile(src, path.Base(m.Dst))
		if err != nil {
			return err
		}
		tarPath, cmd = p, extractCmd(`"$(dirname `+target+`)"`)
	}
	defer os.Remove(tarPath)
	if link != "" {
		cmd += " && " + sudoPrefix + fmt.Sprintf(`if [ -e %[1]s ] && [ ! -L %[1]s ]; then echo "Failed to create symlinks. The target destination may already exist." >&2; exit 1; fi; `+
			`$SUDO mkdir -p "$(dirname %[1]s)" && $SUDO ln -sfn %[2]s %[1]s`, link, target)
	}
	return s.upload(ctx, allNodes(len(s.conns)), tarPath, cmd, "copying file mount "+m.Dst)
}

// runAll runs cmd on every node in parallel; any failure is an error
// naming the node.
func (s *session) runAll(ctx context.Context, cmd, what string) error {
	errs := parallel(ctx, len(s.conns), s.r.MaxParallel, func(ctx context.Context, i int) error {
		var out strings.Builder
		code, err := s.conns[i].run(ctx, cmd, nil, &out, &out)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("%s on %s failed (exit code %d): %s", what, s.conns[i].node.Label(), code, strings.TrimSpace(out.String()))
		}
		return nil
	})
	return firstError(errs)
}
