package cli

import (
	"fmt"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

// DownOptions are `skyplan down`'s flags and arguments.
type DownOptions struct {
	IO       *IO
	Clusters []string
	Yes      bool
	Purge    bool
}

func init() { register(func(io *IO) *cli.Command { return newDownCmd(io, runDown) }) }

func newDownCmd(io *IO, runF func(*DownOptions) error) *cli.Command {
	o := &DownOptions{IO: io}
	return &cli.Command{
		Name:      "down",
		Usage:     "destroy everything of one or more clusters",
		ArgsUsage: "CLUSTER...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			&cli.BoolFlag{Name: "purge", Destination: &o.Purge, Usage: "remove the cluster's record even when it is corrupt or the teardown fails (says what may be left)"},
		},
		Action: func(c *cli.Context) error { o.Clusters = c.Args().Slice(); return runF(o) },
	}
}

func runDown(o *DownOptions) error {
	io := o.IO
	io.useView("text")
	if len(o.Clusters) == 0 {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "No cluster named",
			Detail: "Give the clusters to destroy: skyplan down NAME... (see skyplan status)."})
	}
	m, closeM, err := openManager(io, false)
	if err != nil {
		return err
	}
	defer closeM()
	// Unknown names are refused before the question: nothing to confirm.
	if ds := missingClusters(m, o.Clusters, true); ds.HasErrors() {
		return fail(ds)
	}
	if !o.Yes {
		ok, err := confirm(io, fmt.Sprintf("Destroy cluster(s) %v and everything in them?", o.Clusters))
		if err != nil || !ok {
			return fail(nil, abortDiag(err))
		}
	}
	var ds diag.Diagnostics
	for _, name := range o.Clusters {
		_, dds := m.Down(io.Interrupted, cluster.DownRequest{Cluster: name, Purge: o.Purge})
		ds = append(ds, dds...)
		if !dds.HasErrors() {
			fmt.Fprintf(io.Out, "Cluster %s destroyed.\n", name)
		}
	}
	return done(ds)
}
