package compiler

import (
	"fmt"
	"net"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// widePortRange is the widest resources.ports range compiled without a
// warning: a few ports for a service, not a band of the port space.
const widePortRange = 16

// checkPorts vets the task's resources.ports and returns the source ranges
// they are opened to: port 22 is refused (SSH is governed by ssh_cidrs),
// wide ranges are warned about, and without ports_cidrs the ports are
// opened to the whole Internet (SkyPilot's behaviour) with a warning that
// names them.
func (c *compilation) checkPorts() ([]string, diag.Diagnostics) {
	var ds diag.Diagnostics
	field := "resources.ports"
	if f := c.req.Fields["ports"]; f != "" {
		field = f
	}
	var names []string
	for _, p := range c.req.Ports {
		name := fmt.Sprint(p.From)
		if p.To != p.From {
			name = fmt.Sprintf("%d-%d", p.From, p.To)
		}
		names = append(names, name)
		if p.From <= 22 && 22 <= p.To {
			ds = append(ds, c.errf(field, "Port 22 in ports",
				"resources.ports %s includes port 22, which would open SSH to ports_cidrs. SSH access is governed by ssh_cidrs (config) or --ssh-cidr; remove 22 from ports (split a range around it, e.g. 1-21 and 23-...).", name))
		}
		if n := p.To - p.From + 1; n > widePortRange {
			ds = append(ds, c.warnAt(field, "Wide port range",
				"resources.ports %s opens %d ports on every node. Open only the ports the task serves on (at most %d per range without this warning).", name, n, widePortRange))
		}
	}
	cidrs := append([]string{}, c.in.PortsCIDRs...)
	for _, s := range cidrs {
		if _, _, err := net.ParseCIDR(s); err != nil {
			ds = append(ds, c.errf("", "Invalid ports CIDR", "%q in ports_cidrs (config) or --ports-cidr is not a CIDR block such as 203.0.113.0/24.", s))
		}
	}
	if len(c.req.Ports) == 0 || ds.HasErrors() {
		return cidrs, ds
	}
	if len(cidrs) == 0 {
		cidrs = []string{"0.0.0.0/0"}
		ds = append(ds, c.warnAt(field, "Task ports open to the Internet",
			"Ports %s of every node accept connections from anywhere (0.0.0.0/0). Restrict them with ports_cidrs in ~/.skyplan/config.yaml or .skyplan.yaml, or --ports-cidr CIDR.", strings.Join(names, ", ")))
	}
	return cidrs, ds
}
