package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Shared plumbing of the commands that change clusters through Terraform
// (apply, plan without --dryrun, down, stop, start, status --refresh).

func openToolchain(io *IO) (*provision.Toolchain, error) {
	return provision.NewToolchain(io.Interrupted, provision.ToolchainOptions{Home: skyhome.Dir(), Getenv: io.Environ})
}

// openWorkspace finds terraform and opens the Terraform directory dir.
func openWorkspace(io *IO, dir string) (*provision.Workspace, error) {
	tc, err := openToolchain(io)
	if err != nil {
		return nil, Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	return tc.Workspace(dir, io.Err, io.ErrTTY)
}

func openStore() (*state.Store, error) { return state.Open(skyhome.StateDB()) }

// loadConfig reads the user and project config (the working directory's
// .skyplan.yaml); errors come back ready for Main to render.
func loadConfig() (config.Config, error) {
	cwd, _ := os.Getwd()
	cfg, ds := config.Load(cwd)
	if ds.HasErrors() {
		return cfg, Exit(ExitFailure, ds)
	}
	return cfg, nil
}

// clusterSession is what a Terraform operation on one cluster needs: the
// config, the state store, the cluster's process lock and its Terraform
// workspace. close releases them in reverse order.
type clusterSession struct {
	cfg   config.Config
	store *state.Store
	ws    *provision.Workspace
	close func()
}

// openClusterSession loads the config, opens the store, takes the cluster's
// lock for op and opens the workspace in the cluster's directory.
func openClusterSession(io *IO, name, op string) (*clusterSession, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	store, err := openStore()
	if err != nil {
		return nil, err
	}
	release, err := lockCluster(store, name, op)
	if err != nil {
		store.Close()
		return nil, err
	}
	closeAll := func() { release(); store.Close() }
	ws, err := openWorkspace(io, skyhome.ClusterDir(name))
	if err != nil {
		closeAll()
		return nil, err
	}
	return &clusterSession{cfg: cfg, store: store, ws: ws, close: closeAll}, nil
}

// lockCluster takes the per-cluster lock shared with the SSH-pool launcher,
// turning a held lock into a clear error.
func lockCluster(store *state.Store, name, op string) (func() error, error) {
	release, err := store.Lock("cluster/"+name, op)
	if errors.Is(err, state.ErrLocked) {
		return nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is busy",
			Detail: fmt.Sprintf("Another skyplan process is changing cluster %q (%v). Wait for it to finish, then run the command again.", name, err)}})
	}
	return release, err
}

// clusterGenerator compiles a placement of t for cluster name into dir.
func clusterGenerator(io *IO, t *task.Task, name string, cfg config.Config, sshCIDRs []string) provision.Generator {
	return func(p optimizer.Placement, dir string) error {
		_, pub, err := skyhome.EnsureSSHKey()
		if err != nil {
			return fmt.Errorf("skyplan SSH key: %w", err)
		}
		if p.NumNodes == 0 {
			p.NumNodes = t.NumNodes
		}
		if p.Request == nil && p.RequestIndex < len(t.Resources.Items) {
			p.Request = &t.Resources.Items[p.RequestIndex]
		}
		cat, _ := loadCatalog()
		in := compiler.Input{ClusterName: name, Task: t, Placement: p, SSHPublicKey: pub, SSHCIDRs: sshCIDRs,
			Images: cat, SkyplanVersion: Version, Command: "skyplan apply -c " + name,
			// A custom endpoint (an emulator or a private API endpoint)
			// cannot answer the provider's STS/account checks.
			AWSSkipAccountChecks: io.Environ("AWS_ENDPOINT_URL") != ""}
		in.ApplyConfig(cfg)
		m, ds := compiler.Compile(in)
		if ds.HasErrors() {
			return ds
		}
		return m.WriteDir(dir)
	}
}

// optimizerPlanner re-runs the optimizer with the blocked set.
func optimizerPlanner(t *task.Task, opts optimizer.Options) provision.Planner {
	return func(blocked []optimizer.Blocked) (*optimizer.Placement, error) {
		o := opts
		o.Blocked = append(append([]optimizer.Blocked(nil), opts.Blocked...), blocked...)
		plan, ds := optimizer.Optimize(t, o)
		if plan == nil || plan.Chosen == nil || ds.HasErrors() {
			if len(blocked) > 0 {
				return nil, provision.ErrNoPlacement
			}
			if ds.HasErrors() {
				return nil, ds
			}
			return nil, provision.ErrNoPlacement
		}
		p := *plan.Chosen
		if p.NumNodes == 0 {
			p.NumNodes = t.NumNodes
		}
		return &p, nil
	}
}

// confirm asks "Proceed? [y/N]"; it never reads stdin that is not a terminal.
func confirm(io *IO, question string) (bool, error) {
	if !io.InTTY {
		return false, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Confirmation needed",
			Detail: "stdin is not a terminal, so skyplan cannot ask before changing infrastructure. Pass -y to proceed without asking."}})
	}
	fmt.Fprintf(io.Err, "%s [y/N] ", question)
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// planMeta is the sidecar of a saved plan (PLANFILE.skyplan.json): which
// cluster and working directory it belongs to and what it places, so
// `skyplan apply PLANFILE` applies exactly that without re-optimising.
type planMeta struct {
	Cluster   string              `json:"cluster"`
	Dir       string              `json:"dir"`
	Task      string              `json:"task"`
	NumNodes  int                 `json:"num_nodes"`
	Placement optimizer.Placement `json:"placement"`
}

func planMetaPath(planFile string) string { return planFile + ".skyplan.json" }

func writePlanMeta(planFile string, m planMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(planMetaPath(planFile), b, 0o644)
}

func readPlanMeta(planFile string) (*planMeta, error) {
	b, err := os.ReadFile(planMetaPath(planFile))
	if err != nil {
		return nil, err
	}
	var m planMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", planMetaPath(planFile), err)
	}
	return &m, nil
}

// looksLikeTask tells a task YAML from a saved plan by its extension.
func looksLikeTask(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// clusterName picks -c, else the task's name, else the file's base name.
func clusterName(flag string, t *task.Task, path string) string {
	if flag != "" {
		return flag
	}
	if t != nil && t.Name != "" {
		return t.Name
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// terraformDiags turns a provisioning error into diagnostics with a fix.
func terraformDiags(err error, cluster string) diag.Diagnostics {
	var te *provision.TerraformError
	var se *provision.StopError
	switch {
	case errors.As(err, &se):
		return diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Provisioning stopped: %s error, no failover", se.Failure.Class),
			Detail: oneLineStr(se.Failure.Message, 600) + "\n" + se.Fix}}
	case errors.As(err, &te) && te.Locked():
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster state is locked",
			Detail: fmt.Sprintf("Another Terraform run holds the state lock of cluster %q (another skyplan apply, maybe on another machine). Wait for it to finish and run the command again.\n%s", cluster, oneLineStr(te.Text(), 400))}}
	case errors.As(err, &te) && te.Interrupted():
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Interrupted",
			Detail: fmt.Sprintf("Terraform was stopped and saved its state. Run `skyplan apply` again to continue, or `skyplan down %s` to remove what was created.", cluster)}}
	}
	return diag.Diagnostics{}.Append(err)
}

func oneLineStr(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max-1] + "…"
	}
	return s
}
