package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	registerServe(func(io *IO) *cli.Command {
		o := &ServeUpOptions{IO: io}
		return &cli.Command{
			Name:      "up",
			Usage:     "launch a service: plan its replicas, start the controller and load balancer, launch replicas, print the endpoint",
			ArgsUsage: "SERVICE.yaml",
			Flags: append([]cli.Flag{
				&cli.StringFlag{Name: "service-name", Aliases: []string{"n"}, Destination: &o.Name, Usage: "the service's `NAME` (default sky-service-XXXX)"},
				&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Destination: &o.Yes, Usage: "do not ask for confirmation (required when stdin is not a terminal)"},
				&cli.BoolFlag{Name: "dryrun", Destination: &o.DryRun, Usage: "plan the replicas and print the plan; launch nothing"},
				&cli.DurationFlag{Name: "wait", Value: 60 * time.Second, Destination: &o.Wait, Usage: "how long to wait for the load balancer's endpoint"},
			}, o.Env.flags()...),
			Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runServeUp(o) },
		}
	})
}

// ServeUpOptions are `skyplan serve up`'s flags and argument.
type ServeUpOptions struct {
	IO     *IO
	Args   []string
	Name   string
	Yes    bool
	DryRun bool
	Wait   time.Duration
	Env    ServeEnvOptions
}

// ServeEnvOptions are the task overrides serve up and update take (`-n`
// is the service name, so the other task flags are not offered).
type ServeEnvOptions struct {
	Envs, EnvFiles, Secrets multiString
}

// flags binds the env flags to o (fresh values per command).
func (o *ServeEnvOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.GenericFlag{Name: "env", Value: &o.Envs, Usage: "K=V, or K to copy the local value (repeatable)"},
		&cli.GenericFlag{Name: "env-file", Value: &o.EnvFiles, Usage: "dotenv file of K=V lines (repeatable)"},
		&cli.GenericFlag{Name: "secret", Value: &o.Secrets, Usage: "K=V, or K to copy the local value (repeatable; never printed or stored in state)"},
	}
}

// overrides are the env flags with bare K resolved from the environment
// now (the controller runs elsewhere, later).
func (o *ServeEnvOptions) overrides(io *IO) task.Overrides {
	resolve := func(list []string) []string {
		var out []string
		for _, kv := range list {
			if !strings.Contains(kv, "=") {
				kv += "=" + io.Environ(kv)
			}
			out = append(out, kv)
		}
		return out
	}
	var files []string
	for _, f := range o.EnvFiles.values {
		if a, err := filepath.Abs(f); err == nil {
			f = a
		}
		files = append(files, f)
	}
	return task.Overrides{Envs: resolve(o.Envs.values), Secrets: resolve(o.Secrets.values), EnvFiles: files}
}

// servicePlan is a loaded, validated service task and its replica plan.
type servicePlan struct {
	path     string
	yaml     []byte
	task     *task.Task
	plan     *optimizer.TaskPlan
	min, max int
}

// loadServicePlan reads SERVICE.yaml, checks the service section as
// SkyServe does, and plans one replica with the optimizer.
func loadServicePlan(io *IO, path string, o task.Overrides, checkPaths bool) (*servicePlan, diag.Diagnostics) {
	if path == "" {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing service file",
			Detail: "Give the service YAML, e.g. skyplan serve up service.yaml (a task with a service: section)."}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot read service file", Detail: err.Error(),
			Subject: &diag.Range{Filename: path}}}
	}
	pl, ds := task.Parse(path, data, task.LoadOptions{Accelerators: knownAccelerators(), CheckLocalPaths: checkPaths})
	if pl == nil || ds.HasErrors() {
		return nil, ds
	}
	if len(pl.Tasks) != 1 {
		return nil, append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "A service is one task",
			Detail:  fmt.Sprintf("%s has %d task documents; SkyServe serves a single task with a service: section. Split the file.", path, len(pl.Tasks)),
			Subject: &diag.Range{Filename: path}})
	}
	ds = append(ds, pl.ApplyOverrides(o, io.Environ)...)
	if ds.HasErrors() {
		return nil, ds
	}
	t := pl.Tasks[0]
	ds = append(ds, t.ValidateService()...)
	if ds.HasErrors() {
		return nil, ds
	}
	opts, ods := optimizerOptions(io, pl)
	ds = append(ds, ods...)
	if ods.HasErrors() {
		return nil, ds
	}
	plan, pds := optimizer.Optimize(t, opts)
	ds = append(ds, pds...)
	if pds.HasErrors() {
		return nil, ds
	}
	sp := &servicePlan{path: path, yaml: data, task: t, plan: plan, min: t.Service.Replicas.MinReplicas, max: t.Service.Replicas.Max()}
	return sp, ds
}

// writeServicePlan prints the replicas' considered resources and the
// service's hourly cost at min and max replicas.
func writeServicePlan(io *IO, w interface{ Write([]byte) (int, error) }, sp *servicePlan) {
	fmt.Fprintln(w, "Replica resources:")
	optimizer.WriteTable(w, sp.plan, sp.task.Resources.Ordered)
	per := sp.plan.Chosen.HourlyCost
	over := sp.task.Service.Replicas.NumOverprovision
	fmt.Fprintf(w, "Cost: $%.2f/h per replica; $%.2f/h at min_replicas=%d, $%.2f/h at max_replicas=%d",
		per, per*float64(sp.min+over), sp.min, per*float64(sp.max+over), sp.max)
	if over > 0 {
		fmt.Fprintf(w, " (each with %d over-provisioned replica(s))", over)
	}
	fmt.Fprintln(w, ".")
}

var serviceNameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$`)

func runServeUp(o *ServeUpOptions) error {
	io := o.IO
	if len(o.Args) > 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Too many arguments",
			Detail: "serve up takes one service file: skyplan serve up SERVICE.yaml [-n NAME]."}})
	}
	name := o.Name
	if name != "" && !serviceNameRE.MatchString(name) {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid service name", Field: "--service-name",
			Detail: fmt.Sprintf("%q: a service name starts with a lowercase letter and has only lowercase letters, digits and '-' (at most 50 characters); its replicas are clusters named NAME-ID.", name)}})
	}
	ov := o.Env.overrides(io)
	// --dryrun only plans: local paths need not exist, as for plan --dryrun.
	sp, ds := loadServicePlan(io, firstArg(o.Args), ov, !o.DryRun)
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if o.DryRun {
		writeServicePlan(io, io.Out, sp)
		return done(ds)
	}
	writeServicePlan(io, io.Err, sp)
	if err := serveControllerAvailable(); err != nil {
		return withWarnings(ds, err)
	}
	if name == "" {
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		name = "sky-service-" + hex.EncodeToString(b)
	}
	if !o.Yes {
		ok, err := confirm(io, fmt.Sprintf("Launch service %s (%d-%d replicas)?", name, sp.min, sp.max))
		if err != nil || !ok {
			return withWarnings(ds, abortedOr(err))
		}
	}
	sub := newServiceSubmission(name, sp, ov)
	sub.Wait = o.Wait
	// With a controller VM configured, the service is recorded there
	// (the VM brought up first if needed): the YAML, overrides and
	// secrets travel on the SSH channel's stdin.
	if handled, err := forwardService(io, sub, sp); handled {
		return withWarnings(ds, err)
	}
	return recordService(io, sub, ds)
}

// waitEndpoint waits until the controller's load balancer for name listens.
func waitEndpoint(io *IO, store *state.Store, name string, wait time.Duration) (string, error) {
	deadline := time.Now().Add(wait)
	for {
		svc, err := store.GetService(name)
		if err != nil {
			return "", err
		}
		if svc.Endpoint != "" {
			return svc.Endpoint, nil
		}
		if svc.Status == state.ServiceFailed {
			return "", Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Service failed to start",
				Detail: svc.Message + " See `skyplan serve logs " + name + " --controller`."}})
		}
		if time.Now().After(deadline) {
			return "", Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "The controller did not start the load balancer",
				Detail: fmt.Sprintf("No endpoint for %s within %s. See `skyplan serve logs %s --controller`; the service stays recorded (`skyplan serve down %s` removes it).", name, wait, name, name)}})
		}
		select {
		case <-io.Interrupted.Done():
			return "", io.Interrupted.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// serveControllerAvailable refuses to record a service no controller in
// this binary would act on.
func serveControllerAvailable() error {
	for _, nf := range controller.Registered() {
		if nf.Name == "serve" {
			return nil
		}
	}
	return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "This build has no service controller",
		Detail: "skyplan was built without the serve reconciler, so nothing would launch the replicas. Use --dryrun to plan the service."}})
}
