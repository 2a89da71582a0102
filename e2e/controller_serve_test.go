package e2e

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A service on the controller VM, end to end (serve.controller set, not
// jobs.controller): the first `serve up` brings the VM up (moto + the controller's sshd node), the VM's daemon launches
// the replica on a moto cluster (sshd node 0), and the endpoint it reports
// is the VM's public address on a serve.ports port, opened in its security
// group to serve.allowed_cidrs (here the default, ssh_cidrs). The test
// reaches that address as a client on the Internet would, through a SOCKS
// proxy that maps a moto instance's address to its node (the controller's
// to the controller node, where the VM's balancer listens on 0.0.0.0);
// the VM's daemon reaches the replica through the same proxy
// (serve.replica_proxy).

const controllerServeYAML = `name: ctlweb
resources:
  infra: aws/us-east-1
  cpus: 2
  image_id: ami-12c6146b
service:
  readiness_probe:
    path: /
    initial_delay_seconds: 240
  replicas: 1
  ports: %d
run: |
  mkdir -p www && echo served-by-replica > www/index.html && cd www
  exec python3 -m http.server %d --bind $E2E_NODE_IP
`

// startInstanceProxy serves SOCKS5 on loopback mapping a moto instance's
// address to its sshd node by its tags (proxy_test.go's rankOf).
func (c *controllerEnv) startInstanceProxy() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { l.Close() })
	resolve := func(host string) (string, error) {
		rank, err := rankOf(c.moto.URL, host)
		switch {
		case err != nil:
			return "", err
		case rank == controllerRank:
			return c.sshd.Nodes[1].IP, nil
		case rank < 0 || rank >= len(c.sshd.Nodes)-1:
			return "", fmt.Errorf("%s has rank %d", host, rank)
		}
		return c.sshd.Nodes[rank].IP, nil
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go socksConn(conn, resolve)
		}
	}()
	return "socks5://" + l.Addr().String()
}

// freeAnyPort is a port free on every interface (the VM's balancer
// listens on 0.0.0.0).
func freeAnyPort(t *testing.T) int {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// sgIngress lists moto's security-group ingress rules in region as
// "group-name port-from-to cidr".
func sgIngress(t *testing.T, moto, region string) []string {
	form := url.Values{"Action": {"DescribeSecurityGroups"}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest("POST", moto+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/ec2/aws4_request, SignedHeaders=host, Signature=0", region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var doc struct {
		Groups []struct {
			Name  string `xml:"groupName"`
			Perms []struct {
				From  int      `xml:"fromPort"`
				To    int      `xml:"toPort"`
				CIDRs []string `xml:"ipRanges>item>cidrIp"`
			} `xml:"ipPermissions>item"`
		} `xml:"securityGroupInfo>item"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("DescribeSecurityGroups: %v: %.300s", err, body)
	}
	var out []string
	for _, g := range doc.Groups {
		for _, p := range g.Perms {
			for _, c := range p.CIDRs {
				out = append(out, fmt.Sprintf("%s %d-%d %s", g.Name, p.From, p.To, c))
			}
		}
	}
	return out
}

func TestServiceOnControllerVMAnswersOnItsPublicAddress(t *testing.T) {
	c := newControllerEnv(t)
	e := c.env
	proxy := c.startInstanceProxy()
	for _, n := range e.sshd.Nodes {
		f := filepath.Join(n.Home, ".bashrc")
		b, _ := os.ReadFile(f)
		mustWrite(t, f, string(b)+"export E2E_NODE_IP="+n.IP+"\n", 0o644)
	}
	lbPort := freeAnyPort(t)
	// The controller configured for services only (serve.controller; the
	// harness wrote it as jobs.controller): one daemon for both.
	cfg := filepath.Join(e.home, "config.yaml")
	b, _ := os.ReadFile(cfg)
	jobsCtl := "  controller:\n    infra: aws/us-east-1\n    image_id: ami-12c6146b # moto's; the catalog's Ubuntu AMI is not in moto\n"
	if !strings.Contains(string(b), jobsCtl) {
		t.Fatalf("the harness's config changed; no jobs.controller block in:\n%s", b)
	}
	mustWrite(t, cfg, strings.Replace(string(b), jobsCtl, "", 1)+fmt.Sprintf("serve:\n  replica_proxy: %s\n  ports: [%d]\n%s", proxy, lbPort, jobsCtl), 0o644)
	port := commonPort(t, e.sshd)
	mustWrite(t, filepath.Join(e.work, "service.yaml"), fmt.Sprintf(controllerServeYAML, port, port), 0o644)
	t.Cleanup(func() {
		if t.Failed() {
			for _, f := range []string{"controller.log", "load_balancer.log"} {
				if b, err := os.ReadFile(filepath.Join(c.nodeHome, "serve", "ctlweb", f)); err == nil {
					t.Logf("VM's %s:\n%s", f, tail(dedupLines(string(b)), 8000))
				}
			}
		}
	})

	// The first serve up brings the VM up itself.
	start := time.Now()
	up := c.slow("serve", "up", "service.yaml", "-n", "ctlweb", "-y", "--wait", "5m")
	m := regexp.MustCompile(`endpoint: (http://\S+)`).FindStringSubmatch(up.stdout)
	if up.code != 0 || m == nil || !strings.Contains(up.stderr, "Applying controller") {
		t.Fatalf("serve up (implicit controller up): exit %d\n%s\n%s", up.code, up.stdout, up.stderr)
	}
	endpoint := m[1]
	upTook := time.Since(start)
	// The endpoint is the controller instance's public address on the
	// serve.ports port.
	var ctlIP string
	insts, err := describeInstances(e.moto.URL, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range insts {
		for _, tg := range in.Tags {
			if tg.Key == "skyplan-controller" && in.State == "running" {
				ctlIP = in.PublicIP
			}
		}
	}
	if want := fmt.Sprintf("http://%s:%d", ctlIP, lbPort); ctlIP == "" || endpoint != want {
		t.Fatalf("endpoint %s, want the controller VM's public address on serve.ports: %s", endpoint, want)
	}
	// Recorded on the VM, not here.
	if _, err := os.Stat(filepath.Join(c.nodeHome, "state.db")); err != nil {
		t.Fatalf("the service was not recorded on the controller VM: %v", err)
	}
	// The generated controller root names the port and the sources as
	// variables, and moto's security group opens exactly that.
	tfvars, _ := filepath.Glob(filepath.Join(e.home, "controllers", "*", "skyplan.auto.tfvars.json"))
	if len(tfvars) != 1 {
		t.Fatalf("controller roots: %v", tfvars)
	}
	var vars map[string]any
	vb, _ := os.ReadFile(tfvars[0])
	json.Unmarshal(vb, &vars)
	sp, _ := json.Marshal(vars["serve_ports"])
	sc, _ := json.Marshal(vars["serve_allowed_cidrs"])
	if string(sp) != fmt.Sprintf(`[{"from":%d,"to":%d}]`, lbPort, lbPort) || string(sc) != `["203.0.113.7/32"]` {
		t.Errorf("controller variables: serve_ports %s serve_allowed_cidrs %s", sp, sc)
	}
	rules := sgIngress(t, e.moto.URL, "us-east-1")
	wantRule := fmt.Sprintf("-sg %d-%d 203.0.113.7/32", lbPort, lbPort)
	found := false
	for _, r := range rules {
		found = found || (strings.HasPrefix(r, "skyplan-ctl-") && strings.Contains(r, wantRule))
		if strings.HasPrefix(r, "skyplan-ctl-") && strings.HasSuffix(r, " 0.0.0.0/0") {
			t.Errorf("the controller's security group is open to the Internet: %s", r)
		}
	}
	if !found {
		t.Errorf("no controller ingress %q in %v", wantRule, rules)
	}

	// A READY replica (serve status runs on the VM) and the endpoint answers.
	st := waitStatus(t, e.work, e.vars, 20*time.Minute, func(s serveStatus) bool { return readyCount(s) == 1 })
	ready := time.Since(start)
	if st.Services[0].Endpoint != endpoint || st.Services[0].Replicas[0].Cloud != "aws" {
		t.Fatalf("serve status through the VM: %+v", st)
	}
	pu, _ := url.Parse(proxy)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	var body string
	for i := 0; i < 60; i++ {
		resp, err := client.Get(endpoint + "/")
		if err == nil {
			bb, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if body = strings.TrimSpace(string(bb)); resp.StatusCode == 200 && body == "served-by-replica" {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if body != "served-by-replica" {
		t.Fatalf("GET %s: %q, want the replica's page", endpoint, body)
	}
	logs := e.run("serve", "logs", "ctlweb", "--controller")
	if logs.code != 0 || !strings.Contains(logs.stdout, "READY") || !strings.Contains(logs.stdout, strconv.Itoa(lbPort)) {
		t.Errorf("serve logs --controller through the VM: exit %d\n%s", logs.code, logs.stdout)
	}

	down := c.slow("serve", "down", "ctlweb", "-y")
	if down.code != 0 || !strings.Contains(down.stdout, "Service ctlweb torn down.") {
		t.Fatalf("serve down through the VM: exit %d\n%s\n%s", down.code, down.stdout, down.stderr)
	}
	if live := e.live(); live["us-east-1"] != 1 || len(live) != 1 {
		t.Errorf("after serve down: live instances %v, want the controller alone", live)
	}
	cd := c.slow("controller", "down", "-y")
	if cd.code != 0 {
		t.Fatalf("controller down: exit %d\n%s", cd.code, cd.stderr)
	}
	if live := e.live(); len(live) != 0 {
		t.Errorf("instances left after controller down: %v", live)
	}
	t.Logf("serve up (controller up included) → endpoint %s; → replica READY %s", upTook.Round(time.Second), ready.Round(time.Second))
}
