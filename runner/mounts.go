package runner

import (
	"context"
	"fmt"
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

// IsCloudURI reports whether a file_mounts source is a bucket URI.
func IsCloudURI(src string) bool {
	for _, p := range []string{"s3://", "gs://", "r2://", "https://", "azure://"} {
		if strings.HasPrefix(src, p) {
			return true
		}
	}
	return false
}

// CloudFetchCommand downloads a bucket URI to dstExpr on a node with the
// cloud's CLI, as sky/cloud_stores.py: a prefix is synced, a single object
// copied.
func CloudFetchCommand(src, dstExpr string) (string, error) {
	q := shellQuote(src)
	switch {
	case strings.HasPrefix(src, "s3://"):
		return fmt.Sprintf(`if aws s3 ls %[1]s/ >/dev/null 2>&1; then mkdir -p %[2]s && aws s3 sync --no-follow-symlinks %[1]s %[2]s; `+
			`else mkdir -p "$(dirname %[2]s)" && aws s3 cp %[1]s %[2]s; fi`, q, dstExpr), nil
	case strings.HasPrefix(src, "r2://"):
		u := shellQuote("s3://" + strings.TrimPrefix(src, "r2://"))
		ep := `--endpoint-url "https://${R2_ACCOUNT_ID}.r2.cloudflarestorage.com" --profile=r2`
		return fmt.Sprintf(`if aws s3 ls %[1]s/ %[3]s >/dev/null 2>&1; then mkdir -p %[2]s && aws s3 sync --no-follow-symlinks %[1]s %[2]s %[3]s; `+
			`else mkdir -p "$(dirname %[2]s)" && aws s3 cp %[1]s %[2]s %[3]s; fi`, u, dstExpr, ep), nil
	case strings.HasPrefix(src, "gs://"):
		return fmt.Sprintf(`if gsutil -q stat %[1]s; then mkdir -p "$(dirname %[2]s)" && gsutil cp %[1]s %[2]s; `+
			`else mkdir -p %[2]s && gsutil -m rsync -e -r %[1]s %[2]s; fi`, q, dstExpr), nil
	case strings.HasPrefix(src, "https://") && strings.Contains(src, ".blob.core.windows.net/"):
		return fmt.Sprintf(`mkdir -p "$(dirname %[2]s)" && azcopy copy --recursive=true %[1]s %[2]s`, q, dstExpr), nil
	}
	return "", fmt.Errorf("unsupported file_mounts source %q: use s3://, gs://, r2:// or https://<account>.blob.core.windows.net/<container>", src)
}

// storeOf infers a bucket's store from its spec, its URI, or the cloud.
func storeOf(st *task.Storage, cloud string) string {
	if st.Store != "" {
		return strings.ToLower(st.Store)
	}
	for _, s := range st.Source {
		switch {
		case strings.HasPrefix(s, "s3://"):
			return "s3"
		case strings.HasPrefix(s, "gs://"):
			return "gcs"
		case strings.HasPrefix(s, "r2://"):
			return "r2"
		case strings.HasPrefix(s, "https://"):
			return "azure"
		}
	}
	switch cloud {
	case "gcp":
		return "gcs"
	case "azure":
		return "azure"
	}
	return "s3"
}

// bucketOf returns the bucket name and sub-path of a storage spec.
func bucketOf(st *task.Storage) (bucket, sub string) {
	for _, s := range st.Source {
		if i := strings.Index(s, "://"); i > 0 {
			rest := s[i+3:]
			if strings.HasPrefix(s, "https://") { // acct.blob.core.windows.net/container/sub
				if j := strings.IndexByte(rest, '/'); j >= 0 {
					rest = rest[j+1:]
				}
			}
			b, sub, _ := strings.Cut(rest, "/")
			return b, sub
		}
	}
	return st.Name, ""
}

// StorageCommand realises one bucket file mount on a node: COPY downloads
// it, MOUNT uses the FUSE tool SkyPilot uses for the store (goofys for S3,
// gcsfuse for GCS, blobfuse2 for Azure), MOUNT_CACHED uses rclone's VFS cache.
func StorageCommand(dst string, st *task.Storage, cloud string) (string, error) {
	store := storeOf(st, cloud)
	bucket, sub := bucketOf(st)
	if bucket == "" {
		return "", fmt.Errorf("file_mounts.%s: storage has neither name nor bucket source", dst)
	}
	mode := strings.ToUpper(st.Mode)
	if mode == "" {
		mode = "MOUNT"
	}
	d := RemotePathExpr(dst)
	uri := map[string]string{"s3": "s3://", "gcs": "gs://", "r2": "r2://"}[store] + path.Join(bucket, sub)
	if mode == "COPY" {
		if store == "azure" {
			return fmt.Sprintf(`mkdir -p %s && azcopy copy --recursive=true "https://${AZURE_STORAGE_ACCOUNT}.blob.core.windows.net/"%s/* %s`, d, shellQuote(path.Join(bucket, sub)), d), nil
		}
		return CloudFetchCommand(uri, d)
	}
	// Prepare the mount point as SkyPilot's mount script: unmount a stale
	// mount, create the path world-writable, refuse a non-empty directory.
	prep := sudoPrefix + fmt.Sprintf(`(mountpoint -q %[1]s && $SUDO fusermount -u %[1]s || true) && `+
		`$SUDO mkdir -p %[1]s && $SUDO chmod 777 %[1]s && `+
		`{ [ -z "$(ls -A %[1]s)" ] || { echo "Mount path %[2]s is non-empty. Use an empty directory for MOUNT." >&2; exit 1; }; } && `,
		d, dst)
	if mode == "MOUNT_CACHED" {
		remote := map[string]string{"s3": "s3", "gcs": "gcs", "r2": "r2", "azure": "azure"}[store]
		return prep + fmt.Sprintf(`mkdir -p ~/.sky && rclone mount %s:%s %s --daemon --daemon-wait 10 --allow-other --vfs-cache-mode full --log-file ~/.sky/rclone_log`,
			remote, shellQuote(path.Join(bucket, sub)), d), nil
	}
	switch store {
	case "s3":
		b := bucket
		if sub != "" {
			b += ":" + sub
		}
		return prep + fmt.Sprintf(`goofys -o allow_other --stat-cache-ttl 5s --type-cache-ttl 5s %s %s`, shellQuote(b), d), nil
	case "r2":
		return prep + fmt.Sprintf(`goofys -o allow_other --stat-cache-ttl 5s --type-cache-ttl 5s --endpoint "https://${R2_ACCOUNT_ID}.r2.cloudflarestorage.com" %s %s`, shellQuote(bucket), d), nil
	case "gcs":
		only := ""
		if sub != "" {
			only = "--only-dir " + shellQuote(sub) + " "
		}
		return prep + fmt.Sprintf(`gcsfuse -o allow_other --implicit-dirs --stat-cache-capacity 4096 --stat-cache-ttl 5s --type-cache-ttl 5s %s%s %s`, only, shellQuote(bucket), d), nil
	case "azure":
		return prep + fmt.Sprintf(`mkdir -p ~/.sky/blobfuse2_cache && AZURE_STORAGE_ACCOUNT_CONTAINER=%s blobfuse2 %s --allow-other --container-name %s --tmp-path ~/.sky/blobfuse2_cache`,
			shellQuote(bucket), d, shellQuote(bucket)), nil
	}
	return "", fmt.Errorf("file_mounts.%s: store %q is not supported by skyplan (use s3, gcs, r2 or azure)", dst, store)
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
