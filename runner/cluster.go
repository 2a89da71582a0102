package runner

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"os"
	"os/user"
	"sort"
	"strconv"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
)

// Node is one machine the runner reaches over SSH.
type Node struct {
	Rank      int
	PrivateIP string // what SKYPILOT_NODE_IPS reports
	Host      string // SSH endpoint host
	Port      int
	User      string
	// IdentityFile is the private key to offer; "" = skyplan's own key.
	IdentityFile string
	// InstanceID is the cloud's id of the machine (autodown).
	InstanceID string
}

// Name is "head" for rank 0 and "workerN" otherwise, as SkyPilot's log prefixes.
func (n Node) Name() string {
	if n.Rank == 0 {
		return "head"
	}
	return "worker" + strconv.Itoa(n.Rank)
}

// Label is the log prefix body: "head, rank=0, ip=10.0.0.1".
func (n Node) Label() string {
	return fmt.Sprintf("%s, rank=%d, ip=%s", n.Name(), n.Rank, n.PrivateIP)
}

// Cluster is what the runner needs to reach a cluster's nodes.
type Cluster struct {
	Name   string
	Cloud  string // "aws" | "gcp" | "azure" | "ssh"
	Region string
	Zone   string
	// UseSpot: the nodes are spot instances (autostop cannot stop them).
	UseSpot bool
	// Nodes sorted by rank; rank 0 is the head.
	Nodes []Node
	// Accelerators per node (from the placement), e.g. {"A100": 8}.
	Accelerators map[string]float64
	// ProxyCommand is an OpenSSH-style ssh_proxy_command (%h %p %r).
	ProxyCommand string
	// KnownHostsFile pins the nodes' host keys (accept-new, then pinned).
	KnownHostsFile string
}

// KnownHostsPath is the per-cluster known_hosts file under $SKYPLAN_HOME.
func KnownHostsPath(cluster string) string { return skyhome.Path("known_hosts", cluster) }

// ClusterFromState turns a state record into a runner cluster; cfg supplies
// the cloud's ssh_proxy_command and default SSH user.
func ClusterFromState(c *state.Cluster, cfg config.Config) (*Cluster, error) {
	if len(c.Nodes) == 0 {
		return nil, fmt.Errorf("cluster %s has no nodes recorded; run `skyplan apply` again to refresh it", c.Name)
	}
	cl := &Cluster{
		Name: c.Name, Cloud: c.Cloud, Region: c.Region, Zone: c.Zone, UseSpot: c.UseSpot,
		Accelerators:   c.Accelerators,
		ProxyCommand:   cfg.ProxyCommand(c.Cloud),
		KnownHostsFile: KnownHostsPath(c.Name),
	}
	cloudCfg := cfg.Cloud(c.Cloud)
	for _, n := range c.Nodes {
		rn := Node{Rank: n.Rank, PrivateIP: n.PrivateIP, Host: n.SSHHost, Port: n.SSHPort,
			User: n.SSHUser, IdentityFile: n.IdentityFile, InstanceID: n.InstanceID}
		if rn.Host == "" {
			rn.Host = n.PublicIP
			if rn.Host == "" || cloudCfg.UsePrivateIP {
				rn.Host = n.PrivateIP
			}
		}
		if rn.PrivateIP == "" {
			rn.PrivateIP = rn.Host
		}
		if rn.Port == 0 {
			rn.Port = 22
		}
		if rn.User == "" {
			rn.User = cloudCfg.SSHUser
		}
		if rn.User == "" {
			rn.User = cloud.DefaultSSHUser(c.Cloud)
		}
		if rn.Host == "" {
			return nil, fmt.Errorf("cluster %s: node rank %d has no address recorded", c.Name, n.Rank)
		}
		cl.Nodes = append(cl.Nodes, rn)
	}
	sort.Slice(cl.Nodes, func(i, j int) bool { return cl.Nodes[i].Rank < cl.Nodes[j].Rank })
	return cl, nil
}

// localUser is SKYPILOT_USER: the launching user's name.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
