package runner

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// WorkdirWarnBytes is SkyPilot's warning threshold for large workdirs.
const WorkdirWarnBytes = 256 << 20

// tarTree archives src (a directory's contents, honouring ignore files
// when ignore is true) into a temp file so every node streams the same
// bytes without walking the tree again. Entry names are relative to src.
func tarTree(src string, ignore bool) (path string, size int64, err error) {
	f, err := os.CreateTemp("", "skyplan-sync-*.tar")
	if err != nil {
		return "", 0, err
	}
	defer func() {
		f.Close()
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	tw := tar.NewWriter(f)
	var ig *Ignorer
	if ignore {
		ig = NewIgnorer(src)
		ig.LoadDir(src, "")
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, werr error) error {
		if werr != nil {
			return werr
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		slash := filepath.ToSlash(rel)
		if ig != nil && ig.Ignored(slash, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && ig != nil {
			ig.LoadDir(src, slash)
		}
		return addTarEntry(tw, p, slash)
	})
	if err != nil {
		return "", 0, err
	}
	if err = tw.Close(); err != nil {
		return "", 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	return f.Name(), st.Size(), nil
}

// tarFile archives one file under name.
func tarFile(src, name string) (string, error) {
	f, err := os.CreateTemp("", "skyplan-file-*.tar")
	if err != nil {
		return "", err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	if err := addTarEntry(tw, src, name); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if err := tw.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func addTarEntry(tw *tar.Writer, p, name string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	link := ""
	if fi.Mode()&os.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	// Owners are the remote user's, as rsync --no-owner --no-group.
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(tw, in)
	return err
}

// extractCmd unpacks a tar stream from stdin into dirExpr (a shell
// expression, e.g. "$HOME"/sky_workdir).
func extractCmd(dirExpr string) string {
	return fmt.Sprintf(`mkdir -p %[1]s && tar --no-same-owner -xf - -C %[1]s`, dirExpr)
}

// workdirExpr is ~/sky_workdir as a shell expression.
const workdirExpr = `"$HOME"/sky_workdir`

// upload streams a local tar file to the given nodes in parallel and runs
// cmd (which reads it on stdin) on each.
func (s *session) upload(ctx context.Context, nodes []int, tarPath, cmd, what string) error {
	errs := parallel(ctx, len(nodes), s.r.MaxParallel, func(ctx context.Context, i int) error {
		c := s.conns[nodes[i]]
		f, err := os.Open(tarPath)
		if err != nil {
			return err
		}
		defer f.Close()
		var stderr strings.Builder
		code, err := c.run(ctx, cmd, f, io.Discard, &stderr)
		if err != nil {
			return err
		}
		if code != 0 {
			return fmt.Errorf("%s on %s failed (exit code %d): %s", what, c.node.Label(), code, strings.TrimSpace(stderr.String()))
		}
		return nil
	})
	return firstError(errs)
}

// syncWorkdir copies the local workdir to ~/sky_workdir on every node.
func (s *session) syncWorkdir(ctx context.Context, dir string) error {
	p, size, err := tarTree(dir, true)
	if err != nil {
		return fmt.Errorf("archiving workdir %s: %w", dir, err)
	}
	defer os.Remove(p)
	if size >= WorkdirWarnBytes {
		fmt.Fprintf(s.r.stderr(), "Warning: workdir %s is %d MB; syncing it to every node is slow. Exclude large files with .skyignore.\n", dir, size>>20)
	}
	return s.upload(ctx, allNodes(len(s.conns)), p, extractCmd(workdirExpr), "syncing workdir")
}

func allNodes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TarTree archives a directory's contents (honouring .skyignore /
// .gitignore when ignore) into a temporary file, as a workdir sync does;
// the caller removes the file. The controller VM's upload of a forwarded
// job's local sources uses it.
func TarTree(src string, ignore bool) (path string, size int64, err error) {
	return tarTree(src, ignore)
}

// TarFile archives one file under name into a temporary file.
func TarFile(src, name string) (string, error) { return tarFile(src, name) }
