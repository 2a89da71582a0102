package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// StateOptions are `skyplan state rebuild`'s flags.
type StateOptions struct {
	IO    *IO
	Infra string
}

func init() {
	register(func(io *IO) *cli.Command {
		o := &StateOptions{IO: io}
		return &cli.Command{
			Name:  "state",
			Usage: "repair skyplan's local records (state.db)",
			Subcommands: []*cli.Command{{
				Name:  "rebuild",
				Usage: "record the clusters found in the cloud by their skyplan-cluster tag",
				Description: "For a state.db that was lost or moved aside because it was corrupt: lists the instances\n" +
					"that carry a skyplan-cluster tag (with Terraform data sources) and writes a record for each\n" +
					"cluster that has none. A cluster directory in $SKYPLAN_HOME/clusters with the same tag gives\n" +
					"the record its name and nodes; a cluster without one gets a directory from which\n" +
					"`skyplan down NAME -y` finds and destroys its resources by tag. Existing records are kept.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "infra", Value: "aws", Destination: &o.Infra, Usage: "`CLOUD[/REGION]` to search (default: every region of the cloud's catalog)"},
				},
				Action: func(*cli.Context) error { return stateRebuild(o) },
			}},
		}
	})
}

func stateRebuild(o *StateOptions) error {
	io := o.IO
	io.useView("text")
	inf, err := task.ParseInfra(o.Infra)
	if err == nil && inf.Cloud == "" {
		err = fmt.Errorf("give a cloud")
	}
	if err == nil && inf.Zone != "" {
		err = fmt.Errorf("a cluster is found per region; leave out the zone")
	}
	if err != nil {
		return Exit(ExitUsage, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid --infra", Field: "--infra",
			Detail: fmt.Sprintf("%v. Expected CLOUD or CLOUD/REGION, e.g. --infra aws or --infra aws/us-east-1 (clouds: %s).", err, strings.Join(cloud.Names(), ", "))}})
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	req := cluster.RebuildRequest{Cloud: inf.Cloud}
	if inf.Region != "" {
		req.Regions = []string{inf.Region}
	}
	res, ds := m.Rebuild(io.Interrupted, req)
	if ds.HasErrors() {
		return done(ds)
	}
	if len(res.Clusters) == 0 {
		fmt.Fprintf(io.Err, "No instance tagged skyplan-cluster in %d %s region(s); nothing to record.\n", len(res.Regions), cloud.DisplayName(inf.Cloud))
		return done(ds)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tINFRA\tNODES\tSTATUS\tRECORD")
	for _, c := range res.Clusters {
		rec := "rebuilt"
		switch {
		case !c.Recorded:
			rec = "already recorded (kept)"
		case c.Adopted:
			rec = "rebuilt; no Terraform directory here: `skyplan down " + c.Name + " -y` removes it by tag"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.Name, c.Where, c.Nodes, c.Status, rec)
	}
	tw.Flush()
	return done(ds)
}
