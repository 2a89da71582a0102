package sshpool

import (
	"strings"
	"testing"
)

func TestParsePools(t *testing.T) {
	src := `gpu-box:
  user: ubuntu
  identity_file: /keys/id
  hosts:
    - 10.0.0.1
    - 10.0.0.2:2222
    - ip: 10.0.0.3
      user: root
      identity_file: /keys/other
      port: 2200
    - "::1"
cpu:
  user: me
  hosts: [a.example.com]
`
	pools, ds := Parse("pools.yaml", []byte(src))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	p := pools["gpu-box"]
	want := []Host{{"10.0.0.1", 22, "ubuntu", "/keys/id"}, {"10.0.0.2", 2222, "ubuntu", "/keys/id"},
		{"10.0.0.3", 2200, "root", "/keys/other"}, {"::1", 22, "ubuntu", "/keys/id"}}
	if len(p.Hosts) != len(want) {
		t.Fatalf("hosts = %+v", p.Hosts)
	}
	for i := range want {
		if p.Hosts[i] != want[i] {
			t.Errorf("host %d = %+v, want %+v", i, p.Hosts[i], want[i])
		}
	}
	if s := Sizes(pools); s["gpu-box"] != 4 || s["cpu"] != 1 {
		t.Errorf("sizes = %v", s)
	}
}

func TestParsePoolErrorsAreLocated(t *testing.T) {
	cases := []struct{ src, summary, where, field string }{
		{"p:\n  user: u\n  password: hunter2\n  hosts: [h]\n", "Password authentication is not supported", "pools.yaml:3:3", "p.password"},
		{"p:\n  user: u\n  hosts:\n    - h:99999\n", "Invalid host address", "pools.yaml:4:7", "p.hosts[0]"},
		{"p:\n  hosts: [h]\n", "No SSH user for host", "pools.yaml:2:11", "p.hosts[0]"},
		{"p:\n  user: u\n  hosts:\n    - {ip: h, prot: 22}\n", `Unknown field "prot"`, "pools.yaml:4:15", "p.hosts[0].prot"},
		{"p:\n  user: u\n", "SSH node pool has no hosts", "pools.yaml:2:3", "p.hosts"},
		{"p: [\n", "Invalid YAML in SSH node pools file", "pools.yaml", ""},
	}
	for _, c := range cases {
		_, ds := Parse("pools.yaml", []byte(c.src))
		if !ds.HasErrors() {
			t.Errorf("%q: no error", c.src)
			continue
		}
		d := ds[0]
		if d.Summary != c.summary || !strings.HasPrefix(d.Subject.String(), c.where) || d.Field != c.field {
			t.Errorf("%q: got %q at %s field %q", c.src, d.Summary, d.Subject, d.Field)
		}
	}
}

func TestMissingFileIsNoPools(t *testing.T) {
	pools, ds := LoadFile("/nonexistent/ssh_node_pools.yaml")
	if len(ds) != 0 || len(pools) != 0 {
		t.Fatal(pools, ds)
	}
}
