package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:      "exec",
			Usage:     "run a task (no setup) as a new job on an UP cluster",
			ArgsUsage: "CLUSTER TASK.yaml | CLUSTER -- COMMAND...",
			Description: "Syncs the workdir to ~/sky_workdir on every node and runs the task's run section as a new job " +
				"(no file mounts, no setup), streaming logs. The exit code is the job's.",
			Flags: append(taskFlags(),
				&cli.BoolFlag{Name: "detach-run", Aliases: []string{"d"}, Usage: "submit the job and return; it keeps running on the cluster"}),
			Action: func(c *cli.Context) error { return runExec(c, io) },
		}
	})
}

// openCluster loads a cluster from state and prepares a runner for it.
func openCluster(io *IO, name string, needUp bool) (*runner.Runner, *runner.Cluster, *state.Store, error) {
	if name == "" {
		return nil, nil, nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing cluster name",
			Detail: "Name the cluster as the first argument; `skyplan status` lists them."}})
	}
	store, err := state.Open(skyhome.StateDB())
	if err != nil {
		return nil, nil, nil, err
	}
	sc, err := store.GetCluster(name)
	if errors.Is(err, state.ErrNotFound) {
		store.Close()
		return nil, nil, nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster not found",
			Detail: fmt.Sprintf("Cluster %q does not exist. `skyplan status` lists clusters; `skyplan apply -c %s TASK.yaml` creates it.", name, name)}})
	}
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	if needUp && sc.Status != state.StatusUp {
		store.Close()
		return nil, nil, nil, Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster is not UP",
			Detail: fmt.Sprintf("Cluster %q is %s. Start it with `skyplan start %s` first.", name, sc.Status, name)}})
	}
	cfg, err := loadConfig()
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	cl, err := runner.ClusterFromState(sc, cfg)
	if err != nil {
		store.Close()
		return nil, nil, nil, err
	}
	return &runner.Runner{Stderr: io.Err, Store: store}, cl, store, nil
}

func runExec(c *cli.Context, io *IO) error {
	args := c.Args().Slice()
	if len(args) < 2 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Missing task",
			Detail: "Usage: skyplan exec CLUSTER TASK.yaml, or skyplan exec CLUSTER -- COMMAND."}})
	}
	clusterName, rest := args[0], args[1:]
	if rest[0] == "--" {
		rest = rest[1:]
	}
	var pl *task.Pipeline
	var ds diag.Diagnostics
	if len(rest) == 1 && isTaskFile(rest[0]) {
		pl, ds = loadTaskFromFlags(c, io, rest[0])
	} else {
		t := &task.Task{NumNodes: 1, Run: strings.Join(rest, " ")}
		pl = &task.Pipeline{Tasks: []*task.Task{t}}
		o, ods := overridesFromFlags(c)
		ds = append(ods, pl.ApplyOverrides(o, io.Environ)...)
	}
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	writeDiagWarnings(io, ds)
	if len(pl.Tasks) != 1 {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "exec runs one task",
			Detail: "The file holds a pipeline; run its tasks with `skyplan apply`."}})
	}
	t := pl.Tasks[0]
	if strings.TrimSpace(t.Run) == "" {
		return Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Nothing to run",
			Detail: "The task has no `run` section; exec runs only `run` (setup runs at launch)."}})
	}
	r, cl, store, err := openCluster(io, clusterName, true)
	if err != nil {
		return err
	}
	defer store.Close()
	if t.Workdir != nil && t.Workdir.Path != "" && !filepath.IsAbs(t.Workdir.Path) {
		t.Workdir.Path, _ = filepath.Abs(t.Workdir.Path)
	}
	res, err := r.Exec(io.Interrupted, cl, t, runner.LaunchOptions{Detach: c.Bool("detach-run")})
	return jobResult(io, cl.Name, res, err, c.Bool("detach-run"))
}

// jobResult turns a runner result into skyplan's exit: the job's code.
func jobResult(io *IO, cluster string, res runner.Result, err error, detach bool) error {
	if err != nil {
		if res.Message != "" {
			fmt.Fprintln(io.Err, res.Message)
		}
		return err
	}
	if detach {
		fmt.Fprintln(io.Out, res.JobID)
		return nil
	}
	if res.ExitCode != 0 {
		return Exit(res.ExitCode, diag.Diagnostics{{Severity: diag.Error, Summary: res.Message,
			Detail: fmt.Sprintf("Logs: %s (and `skyplan logs %s %d`).", res.LogDir, cluster, res.JobID)}})
	}
	fmt.Fprintf(io.Err, "Job %d on cluster %s succeeded. Logs: %s\n", res.JobID, cluster, res.LogDir)
	return nil
}

func isTaskFile(s string) bool {
	if !strings.HasSuffix(s, ".yaml") && !strings.HasSuffix(s, ".yml") {
		return false
	}
	st, err := os.Stat(s)
	return err == nil && !st.IsDir()
}

func writeDiagWarnings(io *IO, ds diag.Diagnostics) {
	var w diag.Diagnostics
	for _, d := range ds {
		if d.Severity == diag.Warning {
			w = append(w, d)
		}
	}
	if len(w) > 0 {
		diag.WriteText(io.Err, w)
	}
}
