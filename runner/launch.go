package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// LaunchOptions tune Launch and Exec.
type LaunchOptions struct {
	// Detach starts the job and returns; it keeps running on the nodes.
	Detach bool
	// SkipSetup skips the task's setup (launch --no-setup).
	SkipSetup bool
	// JobName defaults to the task name.
	JobName string
	// TaskID, when set, is SKYPILOT_TASK_ID (a managed job keeps one id
	// across its recoveries, so checkpoints keyed by it survive); default
	// sky-<time>_<cluster>_<job>.
	TaskID string
	// BaseDir resolves relative local file_mounts sources ("" = the
	// working directory, as SkyPilot; parsed tasks are absolute already).
	BaseDir string
}

// Result is the outcome of a job.
type Result struct {
	JobID  int
	Status string // a Job* state; PENDING/RUNNING for detached jobs
	// ExitCode is what skyplan exits with: 0, or the failing node's code (1 if unknown).
	ExitCode int
	// ReturnCodes of the run, by rank (137 = stopped by skyplan, -1 = node lost).
	ReturnCodes []int
	// Message says what failed, naming the node, its rank and exit code.
	Message string
	// LogDir holds the local per-node logs.
	LogDir string
}

// Launch runs a task on a provisioned cluster: wait for SSH on every node,
// sync the workdir, copy file mounts, mount storage, run setup on every
// node, then run on num_nodes nodes, streaming logs.
func (r *Runner) Launch(ctx context.Context, cl *Cluster, t *task.Task, opts LaunchOptions) (Result, error) {
	return r.execute(ctx, cl, t, opts, true)
}

// Exec runs a task's run section as a new job on an UP cluster: workdir
// sync, no file mounts, no setup (SkyPilot's `sky exec`).
func (r *Runner) Exec(ctx context.Context, cl *Cluster, t *task.Task, opts LaunchOptions) (Result, error) {
	opts.SkipSetup = true
	return r.execute(ctx, cl, t, opts, false)
}

func (r *Runner) execute(ctx context.Context, cl *Cluster, t *task.Task, opts LaunchOptions, full bool) (Result, error) {
	numNodes := t.NumNodes
	if numNodes < 1 {
		numNodes = 1
	}
	if numNodes > len(cl.Nodes) {
		return Result{}, fmt.Errorf("task needs %d nodes but cluster %s has %d", numNodes, cl.Name, len(cl.Nodes))
	}
	s, err := r.connect(ctx, cl, r.connectTimeout())
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	if t.Workdir != nil && t.Workdir.Path != "" {
		fmt.Fprintf(r.stderr(), "Syncing workdir %s to ~/sky_workdir on %d node(s).\n", t.Workdir.Path, len(cl.Nodes))
		if err := s.syncWorkdir(ctx, t.Workdir.Path); err != nil {
			return Result{}, err
		}
	} else if t.Workdir != nil && t.Workdir.URL != "" {
		if err := s.runAll(ctx, gitCloneCmd(t.Workdir), "cloning workdir"); err != nil {
			return Result{}, err
		}
	}
	if full && len(t.FileMounts) > 0 {
		fmt.Fprintf(r.stderr(), "Copying file mounts to %d node(s).\n", len(cl.Nodes))
		if err := s.fileMounts(ctx, t.FileMounts, opts.BaseDir); err != nil {
			return Result{}, err
		}
	}
	if full {
		if err := s.installAutostop(ctx, t); err != nil {
			return Result{}, err
		}
	}
	name := opts.JobName
	if name == "" {
		name = t.Name
	}
	submitted := r.now()
	out, err := s.conns[0].output(ctx, allocateJobCmd(cl.Name, name, submitted.Unix(), numNodes), nil)
	if err != nil {
		return Result{}, fmt.Errorf("submitting job on the head: %w", err)
	}
	// The last line: a login shell's rc file may print before our command.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	jobID, err := strconv.Atoi(strings.TrimSpace(lines[len(lines)-1]))
	if err != nil {
		return Result{}, fmt.Errorf("submitting job on the head: unexpected reply %q", out)
	}
	acc := cl.Accelerators
	if len(acc) == 0 {
		for _, it := range t.Resources.Items {
			if it.Accelerator != nil {
				acc = map[string]float64{it.Accelerator.Name: it.Accelerator.Count}
				break
			}
		}
	}
	s.accel = len(acc) > 0
	taskID := opts.TaskID
	if taskID == "" {
		taskID = TaskID(submitted, cl.Name, jobID)
	}
	env := JobEnv{Cluster: cl, JobID: jobID, TaskID: taskID, User: r.user(),
		NumNodes: numNodes, Accelerators: acc, Envs: t.Envs, Secrets: t.Secrets}
	red := NewRedactor(t.Secrets)
	setup := t.Setup
	if opts.SkipSetup {
		setup = ""
	}
	stages := make([][]byte, len(cl.Nodes))
	for i := range cl.Nodes {
		if setup == "" && i >= numNodes {
			continue // nothing to do on this node
		}
		if stages[i], err = jobFiles(jobID, i, numNodes, setup, t.Run, env, red, len(acc) > 0); err != nil {
			return Result{}, err
		}
	}
	res := Result{JobID: jobID, LogDir: r.logsDir(cl.Name, jobID)}
	r.record(cl.Name, jobID, name, JobPending, submitted, nil)
	if opts.Detach {
		if err := s.startDetached(ctx, jobID, stages); err != nil {
			s.markFailed(jobID)
			return res, err
		}
		res.Status = JobPending
		fmt.Fprintf(r.stderr(), "Job %d submitted to cluster %s (detached). Follow it with `skyplan logs %s %d`.\n", jobID, cl.Name, cl.Name, jobID)
		return res, nil
	}
	res, err = s.runAttached(ctx, res, stages, setup != "", numNodes, red)
	if err != nil {
		return res, err
	}
	if res.Status != JobSucceeded && s.cancelledOnHead(jobID) {
		res.Status = JobCancelled
		res.Message = fmt.Sprintf("Job %d was cancelled.", jobID)
	}
	end := r.now()
	r.record(cl.Name, jobID, name, res.Status, submitted, &end)
	if res.Status != JobSucceeded {
		// The nodes' exit codes already say SUCCEEDED; a failure (e.g. a
		// lost node that left no exit code) is recorded for queue.
		mctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = s.conns[0].output(mctx, markCmd(jobID, "final", res.Status), nil)
	}
	return res, nil
}

// cancelledOnHead reports whether `skyplan cancel` marked the job.
func (s *session) cancelledOnHead(jobID int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := s.conns[0].run(ctx, fmt.Sprintf(`[ -e %s/cancelled ]`, jobDir(jobID)), nil, nil, nil)
	return err == nil && code == 0
}

// markFailed records a job that could not be started, so queue does not
// show it PENDING forever.
func (s *session) markFailed(jobID int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = s.conns[0].output(ctx, markCmd(jobID, "final", JobFailed), nil)
}

// record keeps skyplan's local copy of the job when a store is attached.
func (r *Runner) record(cluster string, id int, name, status string, submitted time.Time, ended *time.Time) {
	if r.Store == nil {
		return
	}
	_ = r.Store.PutJob(state.Job{Cluster: cluster, ID: id, Name: name, Status: status, SubmittedAt: submitted, EndedAt: ended})
}

func gitCloneCmd(w *task.Workdir) string {
	ref := ""
	if w.Ref != "" {
		ref = " && git -C ~/sky_workdir checkout " + shellQuote(w.Ref)
	}
	return fmt.Sprintf(`for i in 1 2 3; do rm -rf ~/sky_workdir && git clone %s ~/sky_workdir%s && exit 0; sleep 2; done; exit 1`, shellQuote(w.URL), ref)
}

// jobFiles is the script that writes one node's job directory. It is
// sourced from stdin by the node's shell and uses only builtins (printf),
// so staging a job spawns no process; secrets travel on stdin, never argv.
func jobFiles(id, rank, numNodes int, setup, run string, env JobEnv, red *Redactor, accel bool) ([]byte, error) {
	var b strings.Builder
	b.WriteString("umask 077\n")
	add := func(name, content string) {
		fmt.Fprintf(&b, "printf '%%s' %s > \"$J/%s\"\n", shellQuote(content), name)
	}
	add("wrap.sh", wrapScript(id))
	add("cluster", env.Cluster.Name)
	if setup != "" {
		add("setup.sh", MakeTaskScript(setup, env.SetupEnv(rank), true))
	}
	if rank < numNodes && run != "" {
		add("run.sh", MakeTaskScript(run, env.RunEnv(rank), false))
	}
	if l := red.lines(); l != "" {
		add("redact", l)
	}
	if accel {
		add("accel", "1\n")
	}
	return []byte(b.String()), nil
}

func (s *session) startDetached(ctx context.Context, jobID int, stages [][]byte) error {
	var idx []int
	for i, st := range stages {
		if st != nil {
			idx = append(idx, i)
		}
	}
	errs := parallel(ctx, len(idx), s.r.MaxParallel, func(ctx context.Context, k int) error {
		i := idx[k]
		_, err := s.conns[i].output(ctx, stageCmd(jobID)+" && "+startCmd(jobID, "all", false, 0), bytes.NewReader(stages[i]))
		return err
	})
	return firstError(errs)
}

// nodeOutcome is one node's result of a phase.
type nodeOutcome struct {
	code int
	err  error // transport failure: the node was lost
	at   time.Time
	// stopped: skyplan killed it because another node failed.
	stopped bool
}

func (s *session) runAttached(ctx context.Context, res Result, stages [][]byte, hasSetup bool, numNodes int, red *Redactor) (Result, error) {
	out := &lockedWriter{w: s.r.stderr()}
	logs := make([]*nodeLog, len(s.conns))
	for i, c := range s.conns {
		l, err := newNodeLog(out, res.LogDir, c.node, red)
		if err != nil {
			return res, err
		}
		logs[i] = l
		defer l.close()
	}
	staged := make([]bool, len(s.conns))
	if hasSetup {
		all := allNodes(len(s.conns))
		outc := s.phase(ctx, res.JobID, "setup", all, stages, staged, logs)
		if ctx.Err() != nil {
			res.Status = JobSettingUp
			res.Message = fmt.Sprintf("Stopped following job %d; it keeps running. Cancel it with `skyplan cancel %s %d`.", res.JobID, s.cl.Name, res.JobID)
			return res, ctx.Err()
		}
		if i := firstFailure(all, outc); i >= 0 {
			o := outc[i]
			res.Status, res.ExitCode = JobFailedSetup, exitCodeOf(o.code)
			n := s.conns[i].node
			if o.err != nil {
				res.Message = fmt.Sprintf("Job %d's setup failed: %v", res.JobID, o.err)
			} else {
				res.Message = fmt.Sprintf("Job %d's setup failed on %s with return code %d.", res.JobID, n.Label(), o.code)
			}
			return res, ctx.Err()
		}
	}
	run := allNodes(numNodes)
	outc := s.phase(ctx, res.JobID, "run", run, stages, staged, logs)
	if ctx.Err() != nil {
		res.Status = JobRunning
		res.Message = fmt.Sprintf("Stopped following job %d; it keeps running. Cancel it with `skyplan cancel %s %d`.", res.JobID, s.cl.Name, res.JobID)
		return res, ctx.Err()
	}
	res.Status = JobSucceeded
	for _, i := range run {
		rc := outc[i].code
		if outc[i].err != nil {
			rc = -1
		}
		res.ReturnCodes = append(res.ReturnCodes, rc)
	}
	first := firstFailure(run, outc)
	if first < 0 {
		return res, nil
	}
	res.Status = JobFailed
	n := s.conns[first].node
	o := outc[first]
	if o.err != nil {
		res.ExitCode = 1
		res.Message = fmt.Sprintf("Job %d failed: %v. Return code list: %s", res.JobID, o.err, codeList(res.ReturnCodes))
	} else {
		res.ExitCode = exitCodeOf(o.code)
		res.Message = fmt.Sprintf("Job %d failed: %s exited with return code %d. Return code list: %s",
			res.JobID, n.Label(), o.code, codeList(res.ReturnCodes))
	}
	return res, nil
}

// firstFailure is the node that failed first on its own (not stopped by
// skyplan after another node failed), or -1.
func firstFailure(nodes []int, outc map[int]nodeOutcome) int {
	first := -1
	for _, i := range nodes {
		o := outc[i]
		if o.stopped || (o.err == nil && o.code == 0) {
			continue
		}
		if first < 0 || o.at.Before(outc[first].at) {
			first = i
		}
	}
	return first
}

func exitCodeOf(code int) int {
	if code > 0 && code < 256 {
		return code
	}
	return 1
}

func codeList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// phase starts one phase on the given nodes and streams their logs. When a
// node fails, the others are stopped (their code becomes 137, as Ray's kill).
func (s *session) phase(ctx context.Context, jobID int, phase string, nodes []int, stages [][]byte, staged []bool, logs []*nodeLog) map[int]nodeOutcome {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	outc := map[int]nodeOutcome{}
	failed := false
	parallel(pctx, len(nodes), s.r.MaxParallel, func(pctx context.Context, k int) error {
		i := nodes[k]
		var stage []byte
		if !staged[i] {
			stage, staged[i] = stages[i], true
		}
		code, err := s.stream(pctx, jobID, phase, i, stage, logs[i])
		mu.Lock()
		defer mu.Unlock()
		if pctx.Err() != nil && ctx.Err() == nil && failed {
			outc[i] = nodeOutcome{code: 137, at: time.Now(), stopped: true} // stopped below
			return nil
		}
		outc[i] = nodeOutcome{code: code, err: err, at: time.Now()}
		if err != nil || code != 0 {
			failed = true
			cancel()
		}
		return nil
	})
	if failed && ctx.Err() == nil {
		status := JobFailed
		if phase == "setup" {
			status = JobFailedSetup
		}
		s.stopOthers(jobID, nodes, outc, status)
	}
	return outc
}

// stopOthers kills the job on nodes that did not fail themselves.
func (s *session) stopOthers(jobID int, nodes []int, outc map[int]nodeOutcome, status string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var targets []int
	for _, i := range nodes {
		if o, ok := outc[i]; ok && o.err != nil {
			continue // unreachable
		}
		targets = append(targets, i)
	}
	parallel(ctx, len(targets), s.r.MaxParallel, func(ctx context.Context, k int) error {
		_, err := s.conns[targets[k]].output(ctx, stopCmd(jobID, status), nil)
		return err
	})
}

// stream runs (or resumes after a dropped connection) one phase on node i.
func (s *session) stream(ctx context.Context, jobID int, phase string, i int, stage []byte, l *nodeLog) (int, error) {
	c := s.conns[i]
	cmd := startCmd(jobID, phase, true, l.offset())
	var stdin *bytes.Reader
	var errb strings.Builder
	var code int
	var err error
	out := func() io.Writer { return &markerSkipper{w: l, marker: []byte(streamMarker)} }
	stopWatch := s.watchPending(ctx, jobID, i, l)
	defer stopWatch()
	if stage != nil {
		stdin = bytes.NewReader(stage)
		code, err = c.run(ctx, stageCmd(jobID)+" && "+cmd, stdin, out(), &errb)
	} else {
		code, err = c.run(ctx, cmd, nil, out(), &errb)
	}
	for tries := 0; tries < 5 && ctx.Err() == nil; tries++ {
		var te *transportError
		if !errors.As(err, &te) || te.reconnectFailed {
			break
		}
		l.note(fmt.Sprintf("skyplan: connection to %s dropped (%v); reconnecting", c.node.Label(), te.err))
		code, err = c.run(ctx, resumeCmd(jobID, phase, l.offset()), nil, out(), &errb)
	}
	if err == nil && code == 255 && strings.Contains(errb.String(), "job driver vanished") {
		err = &transportError{node: c.node, err: errors.New("job driver vanished on the node")}
	}
	return code, err
}
