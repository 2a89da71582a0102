package cli

import (
	"os"
	"strings"

	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// ExecOptions are `skyplan exec`'s flags and arguments.
type ExecOptions struct {
	IO     *IO
	Task   TaskOptions
	Args   []string // CLUSTER TASK.yaml | CLUSTER [--] COMMAND...
	Detach bool
}

func init() { register(func(io *IO) *cli.Command { return newExecCmd(io, runExec) }) }

func newExecCmd(io *IO, runF func(*ExecOptions) error) *cli.Command {
	o := &ExecOptions{IO: io}
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a task (no setup) as a new job on an UP cluster",
		ArgsUsage: "CLUSTER TASK.yaml | CLUSTER -- COMMAND...",
		Description: "Syncs the workdir to ~/sky_workdir on every node and runs the task's run section as a new job " +
			"(no file mounts, no setup), streaming logs. The exit code is the job's.",
		Flags: append(o.Task.flags(),
			&cli.BoolFlag{Name: "detach-run", Aliases: []string{"d"}, Destination: &o.Detach, Usage: "submit the job and return; it keeps running on the cluster"}),
		Action: func(c *cli.Context) error { o.Args = c.Args().Slice(); return runF(o) },
	}
}

func runExec(o *ExecOptions) error {
	io := o.IO
	io.useView("text")
	if len(o.Args) < 2 {
		return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Missing task",
			Detail: "Usage: skyplan exec CLUSTER TASK.yaml, or skyplan exec CLUSTER -- COMMAND."})
	}
	clusterName, rest := o.Args[0], o.Args[1:]
	if rest[0] == "--" {
		rest = rest[1:]
	}
	var pl *task.Pipeline
	var ds diag.Diagnostics
	if len(rest) == 1 && isTaskFile(rest[0]) {
		pl, ds = o.Task.load(io, "exec", rest[0])
	} else {
		t := &task.Task{NumNodes: 1, Run: strings.Join(rest, " ")}
		pl = &task.Pipeline{Tasks: []*task.Task{t}}
		ov, ods := o.Task.overrides()
		ds = append(ods, pl.ApplyOverrides(ov, io.Environ)...)
	}
	if ds.HasErrors() {
		return fail(ds)
	}
	if len(pl.Tasks) != 1 {
		return fail(ds, diag.Diagnostic{Severity: diag.Error, Summary: "exec runs one task",
			Detail: "The file holds a pipeline; run its tasks with `skyplan apply`."})
	}
	m, closeM, err := openManager(io, true)
	if err != nil {
		return fail(ds, err)
	}
	defer closeM()
	job, eds := m.Exec(io.Interrupted, cluster.ExecRequest{Cluster: clusterName, Task: pl.Tasks[0], Detach: o.Detach})
	return jobRunExit(io, clusterName, job, o.Detach, append(ds, eds...))
}

func isTaskFile(s string) bool {
	if !strings.HasSuffix(s, ".yaml") && !strings.HasSuffix(s, ".yml") {
		return false
	}
	st, err := os.Stat(s)
	return err == nil && !st.IsDir()
}
