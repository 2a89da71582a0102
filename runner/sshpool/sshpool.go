// Package sshpool reads SSH node pools ($SKYPLAN_HOME/ssh_node_pools.yaml),
// SkyPilot's format for machines that already exist:
//
//	my-pool:
//	  user: ubuntu
//	  identity_file: ~/.ssh/id_ed25519
//	  hosts:
//	    - 10.0.0.1
//	    - 10.0.0.2:2222
//	    - ip: 10.0.0.3
//	      user: root
//	      identity_file: ~/.ssh/other
//	      port: 22
//
// Passwords are refused: skyplan authenticates with keys only.
package sshpool

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"go.yaml.in/yaml/v3"
)

// Host is one machine of a pool, with pool defaults applied.
type Host struct {
	IP           string // address used for SSH and reported as the node's private IP
	Port         int    // 22 unless given
	User         string
	IdentityFile string // "" = skyplan's own key (and ssh-agent)
}

// Addr is "ip:port".
func (h Host) Addr() string { return net.JoinHostPort(h.IP, strconv.Itoa(h.Port)) }

// Pool is one named pool.
type Pool struct {
	Name  string
	Hosts []Host
}

// Path is the pools file.
func Path() string { return skyhome.Path("ssh_node_pools.yaml") }

// Load reads the pools file; a missing file means no pools.
func Load() (map[string]*Pool, diag.Diagnostics) { return LoadFile(Path()) }

// LoadFile reads one pools file.
func LoadFile(path string) (map[string]*Pool, diag.Diagnostics) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]*Pool{}, nil
	}
	if err != nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot read SSH node pools file",
			Detail: err.Error(), Subject: &diag.Range{Filename: path}}}
	}
	return Parse(path, data)
}

// Parse decodes pools from data; path is used in diagnostics only.
func Parse(path string, data []byte) (map[string]*Pool, diag.Diagnostics) {
	p := &parser{path: path}
	pools := map[string]*Pool{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d := diag.Diagnostic{Severity: diag.Error, Summary: "Invalid YAML in SSH node pools file",
			Detail: err.Error() + ".", Subject: &diag.Range{Filename: path}}
		var n int
		if _, e := fmt.Sscanf(err.Error(), "yaml: line %d:", &n); e == nil {
			d.Subject.Start = diag.Pos{Line: n, Column: 1}
			d.Subject.End = d.Subject.Start
		}
		return nil, diag.Diagnostics{d}
	}
	if len(doc.Content) == 0 {
		return pools, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", "SSH node pools file must be a mapping",
			"Expected `<pool-name>: {user: ..., identity_file: ..., hosts: [...]}` at the top level.")
		return nil, p.diags
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		name, body := root.Content[i].Value, root.Content[i+1]
		if pool := p.pool(name, body); pool != nil {
			pools[name] = pool
		}
	}
	if p.diags.HasErrors() {
		return nil, p.diags
	}
	return pools, p.diags
}

// Sizes maps each pool to its number of hosts (optimizer.Options.SSHPools).
func Sizes(pools map[string]*Pool) map[string]int {
	out := make(map[string]int, len(pools))
	for n, p := range pools {
		out[n] = len(p.Hosts)
	}
	return out
}

// PoolSizes loads the default pools file and returns Sizes of it, with any
// problems in the file as diagnostics (the map is empty then).
func PoolSizes() (map[string]int, diag.Diagnostics) {
	pools, diags := Load()
	return Sizes(pools), diags
}

// Names returns the pool names sorted.
func Names(pools map[string]*Pool) []string {
	var out []string
	for n := range pools {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type parser struct {
	path  string
	diags diag.Diagnostics
}

func (p *parser) errorf(n *yaml.Node, field, summary, detail string, args ...any) {
	r := &diag.Range{Filename: p.path, Start: diag.Pos{Line: n.Line, Column: n.Column}}
	r.End = r.Start
	p.diags = append(p.diags, diag.Diagnostic{Severity: diag.Error, Summary: summary,
		Detail: fmt.Sprintf(detail, args...), Subject: r, Field: field})
}

type defaults struct {
	user, identity string
}

func (p *parser) pool(name string, n *yaml.Node) *Pool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, name, "SSH node pool must be a mapping", "Pool %q: expected keys user, identity_file and hosts.", name)
		return nil
	}
	var def defaults
	var hostsNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := name + "." + k.Value
		switch k.Value {
		case "user":
			def.user = p.scalar(v, field)
		case "identity_file":
			def.identity = expandHome(p.scalar(v, field))
		case "password":
			p.errorf(k, field, "Password authentication is not supported",
				"skyplan authenticates to SSH node pools with keys only. Remove `password` and set `identity_file` (or load the key into ssh-agent).")
		case "hosts":
			hostsNode = v
		default:
			p.errorf(k, field, fmt.Sprintf("Unknown field %q", k.Value), "Valid pool fields are user, identity_file and hosts.")
		}
	}
	if hostsNode == nil {
		p.errorf(n, name+".hosts", "SSH node pool has no hosts", "Pool %q: add `hosts:` with at least one address.", name)
		return nil
	}
	if hostsNode.Kind != yaml.SequenceNode || len(hostsNode.Content) == 0 {
		p.errorf(hostsNode, name+".hosts", "hosts must be a non-empty list", "Pool %q: list addresses as `- 10.0.0.1`, `- 10.0.0.2:2222` or `- {ip: ..., user: ..., port: ...}`.", name)
		return nil
	}
	pool := &Pool{Name: name}
	for i, h := range hostsNode.Content {
		field := fmt.Sprintf("%s.hosts[%d]", name, i)
		if host, ok := p.host(h, field, def); ok {
			pool.Hosts = append(pool.Hosts, host)
		}
	}
	return pool
}

func (p *parser) host(n *yaml.Node, field string, def defaults) (Host, bool) {
	h := Host{Port: 22, User: def.user, IdentityFile: def.identity}
	switch n.Kind {
	case yaml.ScalarNode:
		ip, port, err := splitHostPort(n.Value)
		if err != nil {
			p.errorf(n, field, "Invalid host address", "%v. Write `host` or `host:port`.", err)
			return h, false
		}
		h.IP, h.Port = ip, port
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f := field + "." + k.Value
			switch k.Value {
			case "ip":
				h.IP = p.scalar(v, f)
			case "user":
				h.User = p.scalar(v, f)
			case "identity_file":
				h.IdentityFile = expandHome(p.scalar(v, f))
			case "port":
				port, err := strconv.Atoi(v.Value)
				if err != nil || port < 1 || port > 65535 {
					p.errorf(v, f, "Invalid port", "Port must be an integer between 1 and 65535, got %q.", v.Value)
					return h, false
				}
				h.Port = port
			case "password":
				p.errorf(k, f, "Password authentication is not supported",
					"skyplan authenticates to SSH node pools with keys only. Remove `password` and set `identity_file`.")
				return h, false
			default:
				p.errorf(k, f, fmt.Sprintf("Unknown field %q", k.Value), "Valid host fields are ip, user, identity_file and port.")
				return h, false
			}
		}
		if h.IP == "" {
			p.errorf(n, field+".ip", "Host without ip", "Add `ip: <address>` to this host.")
			return h, false
		}
	default:
		p.errorf(n, field, "Invalid host entry", "Expected an address string or a mapping with ip, user, identity_file and port.")
		return h, false
	}
	if h.User == "" {
		p.errorf(n, field, "No SSH user for host", "Host %s has no user: set `user:` on the pool or on the host.", h.IP)
		return h, false
	}
	return h, true
}

func (p *parser) scalar(n *yaml.Node, field string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, field, "Expected a string", "Field %s must be a plain string.", field)
		return ""
	}
	return n.Value
}

func splitHostPort(s string) (string, int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, errors.New("empty address")
	}
	// A bare IPv6 address has several colons and no port.
	if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return s, 22, nil
	}
	if !strings.Contains(s, ":") {
		return s, 22, nil
	}
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port %q", ps)
	}
	return host, port, nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p[1:], "/"))
		}
	}
	return p
}
