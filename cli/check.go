package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyplan/skyplan/cloudcheck"
	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		o := &CheckOptions{IO: io}
		return &cli.Command{
			Name:      "check",
			Usage:     "check which clouds have working credentials (and cache the enabled set for plans)",
			ArgsUsage: "[aws gcp azure]",
			Description: "Verifies AWS credentials through Terraform's AWS provider (the credential chain skyplan's\n" +
				"modules use), and GCP/Azure the same way when their provider is installed; otherwise their\n" +
				"credentials are detected and reported as not verified. The enabled clouds are cached in\n" +
				"$SKYPLAN_HOME/enabled_clouds.json; plans consider only those unless a task pins a cloud.\n" +
				"Exits 1 when none of the checked clouds is enabled.",
			Flags:  []cli.Flag{outputFlag(&o.Output, "table", "table or json")},
			Action: func(c *cli.Context) error { o.Clouds = c.Args().Slice(); o.ctx = c.Context; return runCheck(o) },
		}
	})
}

// CheckOptions are `skyplan check`'s flags and arguments.
type CheckOptions struct {
	IO     *IO
	Output string
	Clouds []string
	ctx    context.Context
}

func runCheck(o *CheckOptions) error {
	io := o.IO
	if err := io.chooseView(o.Output, "table", "json"); err != nil {
		return err
	}
	var clouds []string
	for _, a := range o.Clouds {
		name := strings.ToLower(a)
		if !isCheckCloud(name) {
			return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Unknown cloud %q", a),
				Detail: "skyplan check takes cloud names among " + strings.Join(cloudcheck.Clouds, ", ") + ", or none to check them all."}})
		}
		clouds = append(clouds, name)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	results, err := cloudcheck.Check(o.ctx, clouds, cloudcheck.Options{
		Home: skyhome.Dir(), Environ: os.Environ(), Config: cfg, Progress: io.Err,
		Prober: cluster.CredentialProbe,
	})
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	cache, err := cloudcheck.SaveResults(cloudcheck.CachePath(), results, time.Now())
	if err != nil {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot save the enabled clouds",
			Detail: err.Error() + ". Check that $SKYPLAN_HOME is writable."}})
	}
	if io.jsonView() {
		io.setResult(struct {
			Clouds []cloudcheck.Result `json:"clouds"`
		}{results})
	} else {
		tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CLOUD\tENABLED\tDETAIL")
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", strings.ToUpper(r.Cloud), checkYesNo(r.Enabled), r.Detail())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	var disabled diag.Diagnostics
	anyEnabled := false
	for _, r := range results {
		if r.Enabled {
			anyEnabled = true
			continue
		}
		disabled = append(disabled, diag.Diagnostic{Severity: diag.Error,
			Summary: strings.ToUpper(r.Cloud) + " is not enabled",
			Detail:  r.Reason + ". " + r.Fix})
	}
	if !anyEnabled {
		return fail(disabled)
	}
	for i := range disabled { // some cloud works: the others are warnings
		disabled[i].Severity = diag.Warning
	}
	fmt.Fprintf(io.Err, "Enabled clouds: %s (saved to %s; plans consider only these unless a task pins a cloud).\n",
		strings.Join(cache.Clouds, ", "), cloudcheck.CachePath())
	return done(disabled)
}

// useEnabledClouds restricts opts to the clouds the last `skyplan check`
// enabled (nothing changes when check never ran) and says so on stderr when
// that hides a cloud from a request that does not pin one. Plan and apply
// call it after building their optimizer options.
//
// When check enabled no cloud, pricing (plan --dryrun, compile: priceOnly)
// still considers every catalog cloud, since it needs no credentials; a
// command that needs an enabled cloud for an unpinned task is refused with
// the fix, instead of the optimizer blaming the task.
func useEnabledClouds(io *IO, pl *task.Pipeline, opts *optimizer.Options, priceOnly bool) diag.Diagnostics {
	clouds, known := cloudcheck.EnabledClouds()
	if !known {
		return nil
	}
	unpinned := false
	for _, t := range pl.Tasks {
		for _, r := range t.Resources.Items {
			unpinned = unpinned || r.Infra.Cloud == ""
		}
	}
	if len(clouds) == 0 {
		if !unpinned {
			opts.EnabledClouds = clouds
			return nil
		}
		if priceOnly {
			fmt.Fprintln(io.Err, "No cloud is enabled (the last `skyplan check` found no credentials): pricing every catalog cloud.")
			return nil
		}
		return diag.Diagnostics{{Severity: diag.Error, Summary: "No cloud is enabled",
			Detail: "no cloud is enabled: run `skyplan check` after configuring credentials (" + cloudcheck.CachePath() +
				" lists none). To see prices without credentials, use `skyplan plan --dryrun` or `skyplan compile`; to try one cloud anyway, pin it with --infra."}}
	}
	opts.EnabledClouds = clouds
	if len(clouds) == len(cloudcheck.Clouds) || !unpinned {
		return nil
	}
	fmt.Fprintf(io.Err, "Considering only enabled clouds: %s (run `skyplan check` to refresh)\n", strings.Join(clouds, ", "))
	return nil
}

func isCheckCloud(name string) bool {
	for _, c := range cloudcheck.Clouds {
		if c == name {
			return true
		}
	}
	return false
}

func checkYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
