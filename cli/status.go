package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

// StatusOptions are `skyplan status`'s flags and arguments.
type StatusOptions struct {
	IO       *IO
	Output   string
	Refresh  bool
	Clusters []string
}

func init() { register(func(io *IO) *cli.Command { return newStatusCmd(io, runStatus) }) }

func newStatusCmd(io *IO, runF func(*StatusOptions) error) *cli.Command {
	o := &StatusOptions{IO: io}
	return &cli.Command{
		Name:      "status",
		Usage:     "show clusters (NAME, INFRA, RESOURCES, STATUS, LAUNCHED, $/h)",
		ArgsUsage: "[CLUSTER...]",
		Flags: []cli.Flag{
			outputFlag(&o.Output, "table", "table or json"),
			&cli.BoolFlag{Name: "refresh", Aliases: []string{"r"}, Destination: &o.Refresh, Usage: "check the clouds (refresh-only Terraform plan) and report drift"},
		},
		Action: func(c *cli.Context) error { o.Clusters = c.Args().Slice(); return runF(o) },
	}
}

type statusNode struct {
	Rank       int    `json:"rank"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	PublicIP   string `json:"public_ip"`
	Zone       string `json:"zone,omitempty"` // the account's name (AWS places by zone ID)
}

type statusCluster struct {
	Name         string       `json:"name"`
	Status       string       `json:"status"`
	Cloud        string       `json:"cloud"`
	Region       string       `json:"region"`
	Zone         string       `json:"zone"`
	AccountZone  string       `json:"account_zone,omitempty"` // the account's name of the priced Zone, when it differs
	InstanceType string       `json:"instance_type"`
	NumNodes     int          `json:"num_nodes"`
	UseSpot      bool         `json:"use_spot"`
	HourlyCost   float64      `json:"hourly_cost"`
	LaunchedAt   *time.Time   `json:"launched_at"`
	Nodes        []statusNode `json:"nodes"`
	Drift        []string     `json:"drift,omitempty"`
	Error        string       `json:"error,omitempty"` // why a CORRUPT record cannot be read
}

func runStatus(o *StatusOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	all, ds := m.List(o.Clusters...)
	if ds.HasErrors() {
		return fail(ds)
	}
	// `sky status NAME` for a cluster that does not exist is an error, not
	// an empty table; the clusters that do exist are still shown.
	ds = append(ds, missingClusters(m, o.Clusters, false)...)
	rows := []statusCluster{}
	for _, sc := range all {
		var drift []string
		if o.Refresh && !cluster.IsPool(sc.Cloud) && sc.Status != state.StatusCorrupt {
			rf, rds := m.Refresh(io.Interrupted, cluster.RefreshRequest{Cluster: sc.Name})
			if rds.HasErrors() {
				ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: "Could not refresh cluster " + sc.Name, Detail: oneLineStr(rds.Error(), 500)})
			} else {
				sc, drift = rf.Cluster, rf.Drift
			}
		}
		row := toStatus(sc)
		row.Drift = drift
		rows = append(rows, row)
	}
	if io.jsonView() {
		io.setResult(map[string]any{"clusters": rows})
		return done(ds)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tINFRA\tRESOURCES\tSTATUS\tLAUNCHED\t$/h")
	for _, r := range rows {
		launched := "-"
		if r.LaunchedAt != nil {
			launched = ago(time.Since(*r.LaunchedAt))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.4f\n", r.Name, cluster.PlacedLabel(r.Cloud, r.Region, r.Zone, r.AccountZone),
			cluster.ResourcesLabel(r.NumNodes, r.InstanceType, nil, r.UseSpot), r.Status, launched, r.HourlyCost)
	}
	tw.Flush()
	for _, r := range rows {
		switch {
		case r.Status == string(state.StatusCorrupt):
			fmt.Fprintf(io.Err, "Cluster %s: its record in state.db is corrupt (%s). Remove it with `skyplan down --purge %s` (destroys what its Terraform directory holds first).\n", r.Name, oneLineStr(r.Error, 200), r.Name)
		case r.Status == string(state.StatusInit) && len(r.Drift) == 0 && !cluster.IsPool(r.Cloud):
			fmt.Fprintf(io.Err, "Cluster %s is INIT: interrupted apply: run `skyplan apply` again or `skyplan down %s`.\n", r.Name, r.Name)
		}
		if len(r.Drift) > 0 {
			fmt.Fprintf(io.Err, "Cluster %s drifted outside skyplan: %s. Run `skyplan apply` with its task to repair it, or `skyplan down %s`.\n",
				r.Name, strings.Join(r.Drift, ", "), r.Name)
		}
	}
	return done(ds)
}

func toStatus(sc *state.Cluster) statusCluster {
	r := statusCluster{Name: sc.Name, Status: string(sc.Status), Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone,
		AccountZone:  cluster.AccountZone(sc),
		InstanceType: sc.InstanceType, NumNodes: sc.NumNodes, UseSpot: sc.UseSpot, HourlyCost: sc.HourlyCost, Nodes: []statusNode{}}
	if sc.Status == state.StatusCorrupt {
		r.Error = sc.Extra["corrupt"]
	}
	if !sc.LaunchedAt.IsZero() {
		t := sc.LaunchedAt.UTC()
		r.LaunchedAt = &t
	}
	for _, n := range sc.Nodes {
		r.Nodes = append(r.Nodes, statusNode{Rank: n.Rank, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, PublicIP: n.PublicIP, Zone: n.Zone})
	}
	return r
}
