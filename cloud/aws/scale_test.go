package aws

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/diag"
)

func summaries(ds diag.Diagnostics) string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprint(d.Severity)+": "+d.Summary+" ["+d.Field+"]")
	}
	return strings.Join(s, "; ")
}

// TestClusterNetworkSizing: the subnet holds num_nodes × interfaces per
// node (a /20 holds 127 p5 nodes with 32 EFA interfaces each, not 1000),
// grows up to the VPC, and a cluster beyond that is refused at num_nodes.
func TestClusterNetworkSizing(t *testing.T) {
	p5 := EFAInterfaces("p5.48xlarge")
	for _, c := range []struct {
		nodes, efa int
		want       string
	}{
		{1, 0, "10.0.0.0/20"},
		{4091, 0, "10.0.0.0/20"},
		{4092, 0, "10.0.0.0/19"},
		{127, p5, "10.0.0.0/20"},
		{128, p5, "10.0.0.0/19"},
		{1000, p5, "10.0.0.0/17"},
		{2047, p5, "10.0.0.0/16"},
	} {
		got, ds := clusterNetwork(c.nodes, c.efa, true)
		if ds.HasErrors() || got != c.want {
			t.Errorf("%d nodes × %d EFA: subnet %q (%s), want %s", c.nodes, c.efa, got, summaries(ds), c.want)
		}
	}
	_, ds := clusterNetwork(2048, p5, true)
	if !ds.HasErrors() || ds[0].Field != "num_nodes" || !strings.Contains(ds[0].Detail, "at most 2047") {
		t.Errorf("2048 p5 nodes: %s", summaries(ds))
	}
}

// TestClusterQuotaWarnings: more EFA nodes with public addresses than the
// default 5 Elastic IPs, or more interfaces than the default 5000, warn at
// num_nodes before anything is applied.
func TestClusterQuotaWarnings(t *testing.T) {
	p5 := EFAInterfaces("p5.48xlarge")
	has := func(ds diag.Diagnostics, summary string) bool {
		for _, d := range ds {
			if d.Summary == summary && d.Severity == diag.Warning && d.Field == "num_nodes" {
				return true
			}
		}
		return false
	}
	const eip, eni = "More Elastic IPs than the default quota", "More network interfaces than the default quota"
	for _, c := range []struct {
		nodes, efa int
		private    bool
		eip, eni   bool
	}{
		{5, p5, false, false, false},
		{6, p5, false, true, false},
		{6, p5, true, false, false},
		{100, 0, false, false, false}, // no EFA: automatic public addresses, no EIP
		{157, p5, true, false, true},  // 5024 interfaces
		{156, p5, true, false, false}, // 4992
	} {
		_, ds := clusterNetwork(c.nodes, c.efa, c.private)
		if has(ds, eip) != c.eip || has(ds, eni) != c.eni {
			t.Errorf("%d nodes × %d EFA (private %v): %s; want EIP warning %v, ENI warning %v", c.nodes, c.efa, c.private, summaries(ds), c.eip, c.eni)
		}
	}
}
