package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyplan/skyplan/skyhome"
)

// OfflineError: the catalog server could not be reached at all.
type OfflineError struct {
	Host string
	Err  error
}

func (e *OfflineError) Error() string {
	return fmt.Sprintf("cannot reach %s (offline, or a proxy or firewall blocks it): %v", e.Host, e.Err)
}
func (e *OfflineError) Unwrap() error { return e.Err }

// UpdatedFile reports one catalog file replaced by Update.
type UpdatedFile struct {
	File string // "aws/vms.csv"
	Rows int
	From string // path or URL it came from
}

// maxCatalogBytes bounds a downloaded file; upstream vms.csv files are a few MB.
const maxCatalogBytes = 256 << 20

// Update fetches newer catalog files from a directory or an http(s) base URL
// laid out as <cloud>/<file>.csv (SkyPilot's catalogs/v8 layout), validates
// every file it found (header columns and numbers) and only then replaces
// the copies under dest (usually skyhome.Path("catalogs")) atomically. Files
// the source lacks are left alone. Nothing is written if any file is invalid.
func Update(ctx context.Context, from, dest string) ([]UpdatedFile, error) {
	type fetched struct {
		file, src string
		data      []byte
		rows      int
	}
	var got []fetched
	for _, file := range KnownFiles() {
		data, src, err := fetch(ctx, from, file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		rows, err := Validate(file, data)
		if err != nil {
			return nil, fmt.Errorf("%s is not a valid catalog file: %w", src, err)
		}
		if rows == 0 {
			return nil, fmt.Errorf("%s has a header but no rows; refusing to replace the catalog with an empty one", src)
		}
		got = append(got, fetched{file, src, data, rows})
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("no catalog files found under %s (expected e.g. %s)", from, strings.Join(KnownFiles(), ", "))
	}
	var out []UpdatedFile
	for _, f := range got {
		if err := skyhome.WriteFileAtomic(filepath.Join(dest, filepath.FromSlash(f.file)), f.data, 0o644); err != nil {
			return out, err
		}
		out = append(out, UpdatedFile{File: f.file, Rows: f.rows, From: f.src})
	}
	return out, nil
}

func fetch(ctx context.Context, from, file string) ([]byte, string, error) {
	if !strings.HasPrefix(from, "http://") && !strings.HasPrefix(from, "https://") {
		p := filepath.Join(from, filepath.FromSlash(file))
		b, err := os.ReadFile(p)
		return b, p, err
	}
	url := strings.TrimSuffix(from, "/") + "/" + file
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, url, err
	}
	req.Header.Set("User-Agent", "skyplan")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() == nil && req.URL != nil {
			// No HTTP answer at all: DNS, refused, timeout, TLS.
			return nil, url, &OfflineError{Host: req.URL.Host, Err: err}
		}
		return nil, url, fmt.Errorf("downloading %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, url, fs.ErrNotExist
	}
	if resp.StatusCode != http.StatusOK {
		return nil, url, fmt.Errorf("downloading %s: HTTP %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCatalogBytes+1))
	if err != nil {
		return nil, url, fmt.Errorf("downloading %s: %w", url, err)
	}
	if len(b) > maxCatalogBytes {
		return nil, url, fmt.Errorf("downloading %s: larger than %d MB", url, maxCatalogBytes>>20)
	}
	return b, url, nil
}
