// Package provisiontest starts the pieces skyplan's end-to-end provisioning
// tests need on loopback: the moto EC2/S3/STS emulator and a reverse proxy
// in front of it that injects real-looking EC2 errors.
package provisiontest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Moto is a running moto_server.
type Moto struct {
	URL string
	cmd *exec.Cmd
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartMoto starts `moto_server -H 127.0.0.1 -p PORT` and stops it at
// cleanup. It fails the test when moto_server is not installed (CI
// installs it; DEVELOPERS.md says skip only when a component cannot exist).
func StartMoto(t testing.TB) *Moto {
	t.Helper()
	exe, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf("moto_server not found on PATH (pip install 'moto[server]'): %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port := FreePort(t)
		cmd := exec.Command(exe, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		logf, _ := os.CreateTemp(t.TempDir(), "moto-*.log")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
		if lastErr = m.wait(30 * time.Second); lastErr == nil {
			t.Cleanup(m.stop)
			return m
		}
		m.stop()
	}
	t.Fatalf("moto_server did not start: %v", lastErr)
	return nil
}

func (m *Moto) wait(max time.Duration) error {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		if m.cmd.ProcessState != nil {
			return fmt.Errorf("exited: %v", m.cmd.ProcessState)
		}
		resp, err := http.Get(m.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("no answer on %s after %s", m.URL, max)
}

func (m *Moto) stop() {
	if m.cmd.Process != nil {
		// moto_server is started in its own process group; kill only it.
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		_, _ = m.cmd.Process.Wait()
	}
}

// Env returns the variables that point the AWS provider at endpoint
// (moto or the fault proxy) with dummy credentials. The endpoint is plain
// HTTP, so a machine's AWS_CA_BUNDLE is cleared: with it set, skyplan's
// fallback loop would not share one provider process (providerd.go).
func Env(endpoint string) map[string]string {
	return map[string]string{
		"AWS_CA_BUNDLE":             "",
		"AWS_ENDPOINT_URL":          endpoint,
		"AWS_ACCESS_KEY_ID":         "testing",
		"AWS_SECRET_ACCESS_KEY":     "testing",
		"AWS_SESSION_TOKEN":         "testing",
		"AWS_DEFAULT_REGION":        "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
	}
}

// Instance is one EC2 instance as moto reports it.
type Instance struct {
	ID    string
	State string
	Zone  string
	Type  string
	// Profile is the ARN of the instance profile attached to it, "" for none.
	Profile string
}

// Instances lists the instances moto holds in region (any state).
func (m *Moto) Instances(t testing.TB, region string) []Instance {
	t.Helper()
	form := url.Values{"Action": {"DescribeInstances"}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest("POST", m.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto serves every region on one endpoint and takes the region from
	// the SigV4 credential scope; it does not check the signature.
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/ec2/aws4_request, SignedHeaders=host, Signature=0", region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		Items []struct {
			ID    string `xml:"instanceId"`
			Type  string `xml:"instanceType"`
			State string `xml:"instanceState>name"`
			Zone  string `xml:"placement>availabilityZone"`
			Prof  string `xml:"iamInstanceProfile>arn"`
		} `xml:"reservationSet>item>instancesSet>item"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("DescribeInstances in %s: %v: %.300s", region, err, body)
	}
	var out []Instance
	for _, it := range doc.Items {
		out = append(out, Instance{ID: it.ID, State: it.State, Zone: it.Zone, Type: it.Type, Profile: it.Prof})
	}
	return out
}

// Live counts instances that are pending or running in region.
func (m *Moto) Live(t testing.TB, region string) int {
	n := 0
	for _, i := range m.Instances(t, region) {
		if i.State == "pending" || i.State == "running" {
			n++
		}
	}
	return n
}

func (m *Moto) s3(t testing.TB, method, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, m.URL+path, nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("S3 %s %s: %s: %s", method, path, resp.Status, body)
	}
	return body
}

// CreateBucket makes an S3 bucket in moto (for remote Terraform state).
func (m *Moto) CreateBucket(t testing.TB, name string) { m.s3(t, http.MethodPut, "/"+name) }

// Keys lists the object keys of a bucket.
func (m *Moto) Keys(t testing.TB, bucket string) []string {
	body := m.s3(t, http.MethodGet, "/"+bucket+"?list-type=2")
	var doc struct {
		Keys []string `xml:"Contents>Key"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("ListObjectsV2: %v: %.300s", err, body)
	}
	return doc.Keys
}

// Terminate terminates an instance behind skyplan's back (drift tests).
func (m *Moto) Terminate(t testing.TB, region, id string) {
	t.Helper()
	m.instanceAction(t, "TerminateInstances", region, id)
}

// Stop stops an instance, as its OS shutting down does with
// instance_initiated_shutdown_behavior = "stop" (a controller's idle stop).
func (m *Moto) Stop(t testing.TB, region, id string) {
	t.Helper()
	m.instanceAction(t, "StopInstances", region, id)
}

func (m *Moto) instanceAction(t testing.TB, action, region, id string) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}, "InstanceId.1": {id}}
	req, _ := http.NewRequest("POST", m.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/ec2/aws4_request, SignedHeaders=host, Signature=0", region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %s", action, id, resp.Status)
	}
}
