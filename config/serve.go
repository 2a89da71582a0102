package config

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"go.yaml.in/yaml/v3"
)

// Seconds is a duration setting written in seconds (a number >= 0). Set
// says a config file gave it, so an explicit 0 ("none") differs from unset
// (the default).
type Seconds struct {
	Set   bool
	Value float64

	node *yaml.Node // as decoded, checked by merge once the file is known
}

// UnmarshalYAML keeps the node; merge validates it with the file name.
func (s *Seconds) UnmarshalYAML(n *yaml.Node) error {
	cp := *n
	*s = Seconds{node: &cp}
	return nil
}

// Or returns the setting as a duration, or def when no file set it.
func (s Seconds) Or(def time.Duration) time.Duration {
	if !s.Set {
		return def
	}
	return time.Duration(s.Value * float64(time.Second))
}

func (s *Seconds) parse(file, field, example string) diag.Diagnostics {
	n := s.node
	s.node = nil
	v, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!str" || err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return diag.Diagnostics{located(file, field, n, "Invalid "+lastKey(field),
			fmt.Sprintf("%s is %q; expected a number of seconds >= 0. Fix: e.g. `%s: %s`.", field, n.Value, lastKey(field), example))}
	}
	s.Set, s.Value = true, v
	return nil
}

// ProxyURL is serve.replica_proxy: a socks5:// or http(s):// proxy URL
// through which the controller reaches replicas' ports ("" = directly).
type ProxyURL struct {
	URL string

	node *yaml.Node
}

// UnmarshalYAML keeps the node; merge validates it with the file name.
func (p *ProxyURL) UnmarshalYAML(n *yaml.Node) error {
	cp := *n
	*p = ProxyURL{node: &cp}
	return nil
}

func (p *ProxyURL) parse(file, field string) diag.Diagnostics {
	n := p.node
	p.node = nil
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		p.URL = ""
		return nil
	}
	u, err := url.Parse(n.Value)
	if n.Kind == yaml.ScalarNode && err == nil && u.Host != "" && (u.Scheme == "socks5" || u.Scheme == "socks5h" || u.Scheme == "http" || u.Scheme == "https") {
		p.URL = n.Value
		return nil
	}
	return diag.Diagnostics{located(file, field, n, "Invalid replica_proxy",
		fmt.Sprintf("%s is %q; expected a proxy URL such as socks5://127.0.0.1:1080 (e.g. from `ssh -D 1080 bastion`) or http://proxy:3128. Fix: correct it, or remove the key to reach replicas directly.", field, n.Value))}
}

func located(file, field string, n *yaml.Node, summary, detail string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, Field: field,
		Subject: &diag.Range{Filename: file, Start: diag.Pos{Line: n.Line, Column: n.Column}, End: diag.Pos{Line: n.Line, Column: n.Column + len(n.Value)}}}
}

// parse validates the serve settings this file set.
func (s *Serve) parse(file string) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, f := range []struct {
		field, example string
		v              *Seconds
	}{{"serve.fallback_hold_seconds", "2700", &s.FallbackHoldSeconds},
		{"serve.queue_timeout_seconds", "120", &s.QueueTimeoutSeconds},
		{"serve.stream_timeout_seconds", "600", &s.StreamTimeoutSeconds}} {
		if f.v.node != nil {
			ds = append(ds, f.v.parse(file, f.field, f.example)...)
		}
	}
	if s.ReplicaProxy.node != nil {
		ds = append(ds, s.ReplicaProxy.parse(file, "serve.replica_proxy")...)
	}
	if _, err := s.PortRanges(); err != nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid serve.ports", Field: "serve.ports", Subject: &diag.Range{Filename: file},
			Detail: fmt.Sprintf("%v Fix: e.g. `ports: [30001-30100]` (never 22: SSH is governed by ssh_cidrs).", err)})
	}
	return ds
}

// DefaultServePorts are SkyServe's load-balancer ports, a controller VM's
// serve.ports unless set.
var DefaultServePorts = []task.PortRange{{From: 30001, To: 30100}}

// PortRanges is serve.ports parsed and merged (DefaultServePorts when
// unset). A range that includes 22 is an error.
func (s Serve) PortRanges() ([]task.PortRange, error) {
	if len(s.Ports) == 0 {
		return append([]task.PortRange{}, DefaultServePorts...), nil
	}
	rs, err := task.ParsePorts(s.Ports)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.From <= 22 && 22 <= r.To {
			return nil, fmt.Errorf("serve.ports %s includes 22.", r)
		}
	}
	return rs, nil
}
