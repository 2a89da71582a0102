package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

// PowerOptions are `skyplan stop` and `skyplan start`'s flags and arguments.
type PowerOptions struct {
	IO       *IO
	Verb     string // stop | start
	Clusters []string
	Yes      bool
}

func init() {
	register(func(io *IO) *cli.Command {
		return newPowerCmd(io, "stop", "stop a cluster's instances, keeping their disks (AWS on-demand)",
			"do not ask for confirmation (required when stdin is not a terminal)", runStopStart)
	})
	register(func(io *IO) *cli.Command {
		return newPowerCmd(io, "start", "restart a stopped cluster in the same place (where the cloud supports it)",
			"do not ask for confirmation", runStopStart)
	})
}

func newPowerCmd(io *IO, verb, usage, yesUsage string, runF func(*PowerOptions) error) *cli.Command {
	o := &PowerOptions{IO: io, Verb: verb}
	return &cli.Command{
		Name:      verb,
		Usage:     usage,
		ArgsUsage: "CLUSTER...",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: yesUsage}},
		Action:    func(c *cli.Context) error { o.Clusters = c.Args().Slice(); return runF(o) },
	}
}

// runStopStart stops or starts clusters through Terraform (an
// aws_ec2_instance_state per node). Clouds and markets skyplan cannot
// stop are refused with the reason, never touched behind Terraform's back.
func runStopStart(o *PowerOptions) error {
	io, verb := o.IO, o.Verb
	io.useView("text")
	if len(o.Clusters) == 0 {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "No cluster named",
			Detail: fmt.Sprintf("Give the clusters to %s: skyplan %s NAME...", verb, verb)})
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	var ds diag.Diagnostics
	for _, name := range o.Clusters {
		req := cluster.PowerRequest{Cluster: name}
		if verb == "stop" && !o.Yes {
			req.Confirm = func(sc *state.Cluster) (bool, error) {
				return confirm(io, fmt.Sprintf("Stop cluster %q (disks are kept and still billed)?", sc.Name))
			}
		}
		op := m.Stop
		if verb == "start" {
			op = m.Start
		}
		res, pds := op(io.Interrupted, req)
		ds = append(ds, pds...)
		switch {
		case pds.HasErrors():
		case res.Unchanged:
			fmt.Fprintf(io.Out, "Cluster %s is already %s.\n", name, res.Cluster.Status)
		case verb == "stop":
			fmt.Fprintf(io.Out, "Cluster %s is STOPPED. Start it again with `skyplan start %s`.\n", name, name)
		default:
			printUp(io, res.Cluster)
		}
	}
	return done(ds)
}
