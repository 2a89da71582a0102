package cli

import (
	"fmt"
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
			Name:      "stop",
			Usage:     "stop a cluster's instances, keeping their disks (AWS on-demand)",
			ArgsUsage: "CLUSTER...",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required when stdin is not a terminal)"}},
			Action:    func(c *cli.Context) error { return runStopStart(c, io, "stop") },
		}
	})
}

func timeNow() time.Time { return time.Now().UTC() }

// runStopStart stops or starts clusters through Terraform (an
// aws_ec2_instance_state per node, see provision.PowerFile). Clouds and
// markets skyplan cannot stop are refused with the reason, never touched
// behind Terraform's back.
func runStopStart(c *cli.Context, io *IO, verb string) error {
	names := c.Args().Slice()
	if len(names) == 0 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No cluster named",
			Detail: fmt.Sprintf("Give the clusters to %s: skyplan %s NAME...", verb, verb)}})
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	var ds diag.Diagnostics
	for _, name := range names {
		sc, err := store.GetCluster(name)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No cluster named %q", name),
				Detail: "See `skyplan status` for the clusters skyplan knows."})
			continue
		}
		if !provision.CanStop(sc.Cloud, sc.UseSpot) {
			reason := fmt.Sprintf("skyplan stops and starts AWS on-demand clusters only; %s clusters are not supported yet", provision.InfraLabel(sc.Cloud, "", ""))
			switch {
			case sc.Cloud == "ssh":
				reason = "SSH node pool hosts are not managed by skyplan"
			case sc.UseSpot:
				reason = "spot instances cannot be stopped (SkyPilot refuses too)"
			}
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("skyplan %s is not supported for cluster %s", verb, name),
				Detail: fmt.Sprintf("%s (%s): %s. Use `skyplan down %s` to stop paying for it, and `skyplan apply` to bring it back.",
					name, provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone), reason, name)})
			continue
		}
		if verb == "stop" && !c.Bool("yes") {
			ok, err := confirm(io, fmt.Sprintf("Stop cluster %q (disks are kept and still billed)?", name))
			if err != nil || !ok {
				ds = ds.Append(abortedOr(err))
				continue
			}
		}
		if err := powerOne(io, store, sc, verb == "start"); err != nil {
			ds = ds.Append(err)
			continue
		}
	}
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	return nil
}

func powerOne(io *IO, store *state.Store, sc *state.Cluster, running bool) error {
	release, err := lockCluster(store, sc.Name, "power")
	if err != nil {
		return err
	}
	defer release()
	if running && sc.Status == state.StatusUp {
		fmt.Fprintf(io.Out, "Cluster %s is already UP.\n", sc.Name)
		return nil
	}
	if !running && sc.Status == state.StatusStopped {
		fmt.Fprintf(io.Out, "Cluster %s is already STOPPED.\n", sc.Name)
		return nil
	}
	dir := sc.Extra["terraform_dir"]
	if dir == "" {
		dir = skyhome.ClusterDir(sc.Name)
	}
	ws, err := openWorkspace(io, dir)
	if err != nil {
		return err
	}
	verb := map[bool]string{true: "Starting", false: "Stopping"}[running]
	fmt.Fprintf(io.Err, "%s cluster %s (%s) …\n", verb, sc.Name, provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone))
	if err := provision.SetPower(io.Interrupted, ws, sc.Cloud, sc.UseSpot, running); err != nil {
		return diag.Diagnostics{}.Append(terraformDiags(err, sc.Name))
	}
	if !running {
		sc.Status = state.StatusStopped
		if err := store.PutCluster(sc); err != nil {
			return err
		}
		_ = store.EndLaunch(sc.Name, "STOPPED", timeNow())
		fmt.Fprintf(io.Out, "Cluster %s is STOPPED. Start it again with `skyplan start %s`.\n", sc.Name, sc.Name)
		return nil
	}
	nodes, err := ws.Nodes(io.Interrupted)
	if err != nil {
		return diag.Diagnostics{}.Append(terraformDiags(err, sc.Name))
	}
	p := placementOf(sc)
	up, err := provision.MarkUp(store, sc.Name, p, sc.NumNodes, nodes)
	if err != nil {
		return err
	}
	printUp(io, up)
	return nil
}
