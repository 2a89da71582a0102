package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "status",
			Usage:     "show clusters (NAME, INFRA, RESOURCES, STATUS, LAUNCHED, $/h)",
			ArgsUsage: "[CLUSTER...]",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "table", Usage: "`FORMAT`: table or json"},
				&cli.BoolFlag{Name: "refresh", Aliases: []string{"r"}, Usage: "check the clouds (refresh-only Terraform plan) and report drift"},
			},
			Action: func(c *cli.Context) error { return runStatus(c, io) },
		}
	})
}

type statusNode struct {
	Rank       int    `json:"rank"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	PublicIP   string `json:"public_ip"`
}

type statusCluster struct {
	Name         string       `json:"name"`
	Status       string       `json:"status"`
	Cloud        string       `json:"cloud"`
	Region       string       `json:"region"`
	Zone         string       `json:"zone"`
	InstanceType string       `json:"instance_type"`
	NumNodes     int          `json:"num_nodes"`
	UseSpot      bool         `json:"use_spot"`
	HourlyCost   float64      `json:"hourly_cost"`
	LaunchedAt   *time.Time   `json:"launched_at"`
	Nodes        []statusNode `json:"nodes"`
	Drift        []string     `json:"drift,omitempty"`
}

func runStatus(c *cli.Context, io *IO) error {
	format := c.String("output")
	if format != "table" && format != "json" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid output format",
			Detail: fmt.Sprintf("-o must be table or json, got %q.", format), Field: "--output"}})
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	all, err := store.ListClusters()
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, n := range c.Args().Slice() {
		want[n] = true
	}
	var rows []statusCluster
	var ds diag.Diagnostics
	for _, sc := range all {
		if len(want) > 0 && !want[sc.Name] {
			continue
		}
		row := toStatus(sc)
		if c.Bool("refresh") && sc.Cloud != "ssh" {
			drift, err := refreshCluster(io, store, sc)
			if err != nil {
				ds = append(ds, diag.Diagnostic{Severity: diag.Warning, Summary: "Could not refresh cluster " + sc.Name, Detail: oneLineStr(err.Error(), 500)})
			}
			row.Drift = drift
			if len(drift) > 0 {
				row.Status = string(state.StatusInit)
			}
		}
		rows = append(rows, row)
	}
	if format == "json" {
		if rows == nil {
			rows = []statusCluster{}
		}
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"clusters": rows}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(io.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tINFRA\tRESOURCES\tSTATUS\tLAUNCHED\t$/h")
		for _, r := range rows {
			launched := "-"
			if r.LaunchedAt != nil {
				launched = ago(time.Since(*r.LaunchedAt))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.4f\n", r.Name, provision.InfraLabel(r.Cloud, r.Region, r.Zone),
				provision.ResourcesLabel(r.NumNodes, r.InstanceType, nil, r.UseSpot), r.Status, launched, r.HourlyCost)
		}
		tw.Flush()
		for _, r := range rows {
			if len(r.Drift) > 0 {
				fmt.Fprintf(io.Err, "Cluster %s drifted outside skyplan: %s. Run `skyplan apply` with its task to repair it, or `skyplan down %s`.\n",
					r.Name, strings.Join(r.Drift, ", "), r.Name)
			}
		}
	}
	if len(ds) > 0 {
		diag.WriteText(io.Err, ds)
	}
	return nil
}

func toStatus(sc *state.Cluster) statusCluster {
	r := statusCluster{Name: sc.Name, Status: string(sc.Status), Cloud: sc.Cloud, Region: sc.Region, Zone: sc.Zone,
		InstanceType: sc.InstanceType, NumNodes: sc.NumNodes, UseSpot: sc.UseSpot, HourlyCost: sc.HourlyCost, Nodes: []statusNode{}}
	if !sc.LaunchedAt.IsZero() {
		t := sc.LaunchedAt.UTC()
		r.LaunchedAt = &t
	}
	for _, n := range sc.Nodes {
		r.Nodes = append(r.Nodes, statusNode{Rank: n.Rank, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, PublicIP: n.PublicIP})
	}
	return r
}

// refreshCluster runs a refresh-only plan and returns the drifted
// resources; a drifted cluster goes back to INIT in state (not healthy).
func refreshCluster(io *IO, store *state.Store, sc *state.Cluster) ([]string, error) {
	dir := sc.Extra["terraform_dir"]
	if dir == "" {
		dir = skyhome.ClusterDir(sc.Name)
	}
	ws, err := openWorkspace(io, dir)
	if err != nil {
		return nil, err
	}
	if err := ws.Init(io.Interrupted); err != nil {
		return nil, err
	}
	_, res, err := ws.Plan(io.Interrupted, provision.PlanOptions{RefreshOnly: true})
	if err != nil {
		return nil, err
	}
	if len(res.Drift) > 0 && sc.Status == state.StatusUp {
		sc.Status = state.StatusInit
		if sc.Extra == nil {
			sc.Extra = map[string]string{}
		}
		sc.Extra["drift"] = strings.Join(res.Drift, ", ")
		_ = store.PutCluster(sc)
	}
	return res.Drift, nil
}
