package cli

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func runCLIEnv(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(&IO{Out: &out, Err: &errb, Environ: func(k string) string { return env[k] }}, append([]string{"skyplan"}, args...))
	return out.String(), errb.String(), code
}

// `catalog update` without --from fetches the published catalogs
// (SkyPilot's by default; a local server here), and `catalog status` then
// names the refreshed files; before, both were refused.
func TestCatalogUpdateDefaultSourceAndStatus(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	out, errOut, code := runCLI(t, "catalog", "status")
	if code != 0 || !regexpLine(out, "AWS", "embedded snapshot", "2026-") || !regexpLine(out, "GCP", "embedded snapshot") {
		t.Fatalf("status before update: exit %d %s\n%s", code, errOut, out)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir("../testdata/catalog-small")))
	defer srv.Close()
	out, errOut, code = runCLIEnv(t, map[string]string{"SKYPLAN_CATALOG_URL": srv.URL}, "catalog", "update")
	if code != 0 || !strings.Contains(out, "updated aws/vms.csv") || !strings.Contains(errOut, "Downloading SkyPilot's catalogs from "+srv.URL) {
		t.Fatalf("update: exit %d\n%s\n%s", code, out, errOut)
	}
	out, _, _ = runCLI(t, "catalog", "status")
	if !regexpLine(out, "AWS", "catalogs/aws/vms.csv", "5") {
		t.Errorf("status after update:\n%s", out)
	}
}

func TestCatalogUpdateOffline(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, errOut, code := runCLIEnv(t, map[string]string{"SKYPLAN_CATALOG_URL": "http://" + addr + "/v8"}, "catalog", "update")
	if code != 1 || !strings.Contains(errOut, "cannot reach "+addr) || !strings.Contains(errOut, "skyplan catalog update --from DIR") ||
		!strings.Contains(errOut, "left unchanged") {
		t.Errorf("offline: exit %d\n%s", code, errOut)
	}
}
