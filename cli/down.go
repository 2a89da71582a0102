package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "down",
			Usage:     "destroy everything of one or more clusters",
			ArgsUsage: "CLUSTER...",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
			},
			Action: func(c *cli.Context) error { return runDown(c, io) },
		}
	})
}

func runDown(c *cli.Context, io *IO) error {
	names := c.Args().Slice()
	if len(names) == 0 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "No cluster named",
			Detail: "Give the clusters to destroy: skyplan down NAME... (see skyplan status)."}})
	}
	if !c.Bool("yes") {
		ok, err := confirm(io, fmt.Sprintf("Destroy cluster(s) %v and everything in them?", names))
		if err != nil || !ok {
			return abortedOr(err)
		}
	}
	store, err := openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	var ds diag.Diagnostics
	for _, name := range names {
		if err := downOne(io, store, name); err != nil {
			ds = ds.Append(err)
			continue
		}
		fmt.Fprintf(io.Out, "Cluster %s destroyed.\n", name)
	}
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	return nil
}

func downOne(io *IO, store *state.Store, name string) error {
	release, err := lockCluster(store, name, "down")
	if err != nil {
		return err
	}
	defer release()
	sc, err := store.GetCluster(name)
	dir := skyhome.ClusterDir(name)
	switch {
	case errors.Is(err, state.ErrNotFound):
		// No record, but a directory may hold state from an interrupted
		// run whose record was lost: destroy it anyway.
		if _, serr := os.Stat(dir); serr != nil {
			return diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No cluster named %q", name),
				Detail: "See `skyplan status` for the clusters skyplan knows."}
		}
	case err != nil:
		return err
	case sc.Cloud == "ssh":
		// SSH node pools: skyplan created nothing; release the hosts.
		_ = store.EndLaunch(name, "TERMINATED", timeNow())
		return store.DeleteCluster(name)
	default:
		if d := sc.Extra["terraform_dir"]; d != "" {
			dir = d
		}
	}
	ws, err := openWorkspace(io, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Err, "Destroying cluster %s …\n", name)
	if err := provision.Down(io.Interrupted, ws, store, name); err != nil {
		return diag.Diagnostics{}.Append(terraformDiags(err, name))
	}
	if _, err := os.Stat(filepath.Join(dir, provision.BucketsDir, "main.tf")); err == nil {
		fmt.Fprintf(io.Err, "Persistent buckets of %s are kept (their Terraform root is %s); remove them with `terraform -chdir=%s destroy` when the data is no longer needed.\n",
			name, filepath.Join(dir, provision.BucketsDir), filepath.Join(dir, provision.BucketsDir))
	}
	return nil
}
