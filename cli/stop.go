package cli

import (
	"fmt"
	"time"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "stop",
			Usage:     "stop a cluster's instances, keeping their disks (where the cloud supports it)",
			ArgsUsage: "CLUSTER...",
			Flags:     []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
			Action:    func(c *cli.Context) error { return runStopStart(c, io, "stop") },
		}
	})
}

func timeNow() time.Time { return time.Now().UTC() }

// runStopStart answers stop and start. The generated modules have no
// instance-state input yet, and stopping through Terraform needs one (an
// aws_ec2_instance_state per node), so both refuse clearly instead of
// touching instances behind Terraform's back.
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
		reason := "the generated Terraform modules do not manage instance power state yet"
		switch {
		case sc.Cloud == "ssh":
			reason = "SSH node pool hosts are not managed by skyplan"
		case sc.UseSpot:
			reason = "spot instances cannot be stopped (SkyPilot refuses too)"
		}
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("skyplan %s is not supported yet for cluster %s", verb, name),
			Detail: fmt.Sprintf("%s (%s): %s. Use `skyplan down %s` to stop paying for it, and `skyplan apply` to bring it back.",
				name, provision.InfraLabel(sc.Cloud, sc.Region, sc.Zone), reason, name)})
	}
	return Exit(ExitFailure, ds)
}
