package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JobInfo is one row of a cluster's job queue.
type JobInfo struct {
	ID        int        `json:"id"`
	Name      string     `json:"name"`
	Submitted time.Time  `json:"submitted_at"`
	Started   *time.Time `json:"started_at,omitempty"`
	Ended     *time.Time `json:"ended_at,omitempty"`
	Status    string     `json:"status"`
	NumNodes  int        `json:"num_nodes"`
	// ExitCode is the first non-zero setup or run exit code among the
	// nodes that reported one (0 when every reporting node succeeded; nil
	// before any node ended). Managed jobs match it against
	// recover_on_exit_codes.
	ExitCode *int `json:"exit_code,omitempty"`
}

// Duration is ended (or now) minus started; 0 before the job starts.
func (j JobInfo) Duration(now time.Time) time.Duration {
	if j.Started == nil {
		return 0
	}
	end := now
	if j.Ended != nil {
		end = *j.Ended
	}
	return end.Sub(*j.Started)
}

// ErrJobNotFound is returned for a job id the head does not know.
var ErrJobNotFound = errors.New("job not found")

// queryTimeout bounds waiting for SSH in queue/logs/cancel: the cluster is
// supposed to be up already. Workers get less: queue, logs and cancel
// need only the head, and a dead worker must not hold them up.
const (
	queryTimeout       = 30 * time.Second
	workerQueryTimeout = 5 * time.Second
)

// Queue returns the cluster's jobs, merging every node's view (the head
// knows names and ids, each node its own exit codes). Unreachable workers
// are reported through warn and their view is left out.
func (r *Runner) Queue(ctx context.Context, cl *Cluster, warn func(string)) ([]JobInfo, error) {
	s, err := r.connectHead(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer s.close()
	jobs, err := s.queue(ctx, warn)
	if err == nil {
		for _, j := range jobs {
			r.record(cl.Name, j.ID, j.Name, j.Status, j.Submitted, j.Ended)
		}
	}
	return jobs, err
}

// connectHead connects to the head (required) and the workers (best effort).
func (r *Runner) connectHead(ctx context.Context, cl *Cluster) (*session, error) {
	if r.Pool != nil {
		return r.Pool.session(ctx, r, cl)
	}
	s, errs, err := r.dial(ctx, cl, queryTimeout, workerQueryTimeout)
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		s.close()
		return nil, errs[0]
	}
	return s, nil
}

func (s *session) queue(ctx context.Context, warn func(string)) ([]JobInfo, error) {
	views := make([]map[int]nodeJob, len(s.conns))
	errs := parallel(ctx, len(s.conns), s.r.MaxParallel, func(ctx context.Context, i int) error {
		out, err := s.conns[i].output(ctx, queryCmd(s.cl.Name), nil)
		if err != nil {
			return err
		}
		views[i] = parseQuery(out)
		return nil
	})
	if errs[0] != nil {
		return nil, errs[0]
	}
	for i, e := range errs[1:] {
		if e != nil && warn != nil {
			warn(fmt.Sprintf("%s is unreachable; its job states are left out: %v", s.conns[i+1].node.Label(), e))
		}
	}
	var out []JobInfo
	for id, h := range views[0] {
		var nodes []nodeJob
		for _, v := range views {
			if v == nil {
				continue
			}
			if nj, ok := v[id]; ok {
				nodes = append(nodes, nj)
			}
		}
		ji := JobInfo{ID: id, Name: h.name, Submitted: time.Unix(h.submitted, 0), NumNodes: h.nodes,
			Status: mergeStatus(h, nodes), ExitCode: exitCodeOfNodes(nodes)}
		var started, ended int64
		allEnded := true
		for _, n := range nodes {
			if n.started > 0 && (started == 0 || n.started < started) {
				started = n.started
			}
			if n.ended > ended {
				ended = n.ended
			}
			if n.ended == 0 {
				allEnded = false
			}
		}
		if started > 0 {
			t := time.Unix(started, 0)
			ji.Started = &t
		}
		if ended > 0 && (allEnded || Terminal(ji.Status)) {
			t := time.Unix(ended, 0)
			ji.Ended = &t
		}
		out = append(out, ji)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func exitCodeOfNodes(nodes []nodeJob) *int {
	var code *int
	for _, n := range nodes {
		for _, rc := range []*int{n.setupRC, n.runRC} {
			if rc == nil {
				continue
			}
			if *rc != 0 {
				v := *rc
				return &v
			}
			if code == nil {
				v := 0
				code = &v
			}
		}
	}
	return code
}

// mergeStatus folds the nodes' views of one job into its status.
func mergeStatus(head nodeJob, nodes []nodeJob) string {
	if head.cancelled != "" {
		return JobCancelled // beats the FAILED an attached skyplan records
	}
	if head.final != "" {
		return head.final
	}
	anyAlive, runOK := false, 0
	for _, n := range nodes {
		if n.setupRC != nil && *n.setupRC != 0 {
			return JobFailedSetup
		}
		if n.runRC != nil && *n.runRC != 0 {
			return JobFailed
		}
		if n.runRC != nil {
			runOK++
		}
		anyAlive = anyAlive || n.alive
	}
	if head.nodes > 0 && runOK >= head.nodes {
		return JobSucceeded
	}
	best := ""
	rank := map[string]int{JobPending: 1, JobSettingUp: 2, JobRunning: 3}
	for _, n := range nodes {
		if n.alive && rank[n.status] > rank[best] {
			best = n.status
		}
	}
	if best != "" {
		return best
	}
	if !anyAlive {
		for _, n := range nodes {
			if n.status == JobCancelled {
				return JobCancelled
			}
		}
		started := false
		for _, n := range nodes {
			started = started || n.started > 0
		}
		if !started {
			return JobPending // submitted; no driver has started yet
		}
		return JobFailed // drivers gone without exit codes
	}
	return JobPending
}

// JobStatus returns one job's status (ErrJobNotFound when unknown).
func (r *Runner) JobStatus(ctx context.Context, cl *Cluster, id int) (JobInfo, error) {
	jobs, err := r.Queue(ctx, cl, nil)
	if err != nil {
		return JobInfo{}, err
	}
	return pick(jobs, id)
}

func pick(jobs []JobInfo, id int) (JobInfo, error) {
	if id == 0 {
		if len(jobs) == 0 {
			return JobInfo{}, fmt.Errorf("no jobs on this cluster: %w", ErrJobNotFound)
		}
		return jobs[len(jobs)-1], nil
	}
	for _, j := range jobs {
		if j.ID == id {
			return j, nil
		}
	}
	return JobInfo{}, fmt.Errorf("job %d: %w", id, ErrJobNotFound)
}

// Logs prints a job's per-node logs (id 0 = latest) to w with node
// prefixes; with follow it streams until the job ends on every node.
func (r *Runner) Logs(ctx context.Context, cl *Cluster, id int, follow bool, w io.Writer) (JobInfo, error) {
	s, err := r.connectHead(ctx, cl)
	if err != nil {
		return JobInfo{}, err
	}
	defer s.close()
	jobs, err := s.queue(ctx, func(msg string) { fmt.Fprintln(r.stderr(), "Warning: "+msg) })
	if err != nil {
		return JobInfo{}, err
	}
	ji, err := pick(jobs, id)
	if err != nil {
		return ji, err
	}
	out := &lockedWriter{w: w}
	parallel(ctx, len(s.conns), r.MaxParallel, func(ctx context.Context, i int) error {
		l, _ := newNodeLog(out, "", s.conns[i].node, nil)
		defer l.close()
		_, err := s.conns[i].run(ctx, logsCmd(ji.ID, follow), nil, &markerSkipper{w: l, marker: []byte(streamMarker)}, io.Discard)
		return err
	})
	if follow {
		if jobs, err := s.queue(ctx, nil); err == nil {
			if j, err := pick(jobs, ji.ID); err == nil {
				ji = j
			}
		}
	}
	return ji, nil
}

func logsCmd(id int, follow bool) string {
	if !follow {
		return fmt.Sprintf(`echo %s; J=%s; [ -f "$J/log" ] && cat "$J/log"; true`, streamMarker, jobDir(id))
	}
	return fmt.Sprintf(`echo %s; J=%s; [ -d "$J" ] || exit 0; cd "$J"; touch log
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
tail -c +1 -F -s 0.1 log 2>/dev/null & t=$!
sleep 0.2
while [ ! -e done ]; do p=$(cat pid 2>/dev/null); { [ -n "$p" ] && alive "$p"; } || [ ! -s pid ] || break; sleep 0.2; done
sleep 0.3; kill $t 2>/dev/null; true
`, streamMarker, jobDir(id))
}

// Cancel kills jobs' process trees on every node and marks them CANCELLED.
// all cancels every unfinished job. It returns the ids cancelled.
func (r *Runner) Cancel(ctx context.Context, cl *Cluster, ids []int, all bool) ([]int, error) {
	s, err := r.connectHead(ctx, cl)
	if err != nil {
		return nil, err
	}
	defer s.close()
	jobs, err := s.queue(ctx, func(msg string) { fmt.Fprintln(r.stderr(), "Warning: "+msg) })
	if err != nil {
		return nil, err
	}
	var targets []int
	if all {
		for _, j := range jobs {
			if !Terminal(j.Status) {
				targets = append(targets, j.ID)
			}
		}
	}
	for _, id := range ids {
		j, err := pick(jobs, id)
		if err != nil {
			return nil, err
		}
		if Terminal(j.Status) {
			fmt.Fprintf(r.stderr(), "Job %d already %s; nothing to cancel.\n", id, j.Status)
			continue
		}
		targets = append(targets, id)
	}
	for _, id := range targets {
		if _, err := s.conns[0].output(ctx, markCmd(id, "cancelled", "1"), nil); err != nil {
			return nil, err
		}
		errs := parallel(ctx, len(s.conns), r.MaxParallel, func(ctx context.Context, i int) error {
			if !s.conns[i].connected() {
				return nil // unreachable worker, reported by queue
			}
			_, err := s.conns[i].output(ctx, stopCmd(id, JobCancelled), nil)
			return err
		})
		if err := firstError(errs); err != nil {
			return nil, err
		}
		fmt.Fprintf(r.stderr(), "Job %d cancelled (%s).\n", id, "process tree killed on every node")
		if r.Store != nil {
			now := r.now()
			for _, j := range jobs {
				if j.ID == id {
					r.record(cl.Name, id, j.Name, JobCancelled, j.Submitted, &now)
				}
			}
		}
	}
	return targets, nil
}

// FormatDuration renders durations as SkyPilot's queue (e.g. "1m 5s").
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	s := int(d.Round(time.Second).Seconds())
	switch {
	case s < 60:
		return strconv.Itoa(s) + "s"
	case s < 3600:
		return fmt.Sprintf("%dm %ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh %dm", s/3600, (s%3600)/60)
}

// Release stops every job process skyplan started for cl on its nodes
// (each job driver's whole process group) and removes the cluster's job
// directories there: `down` of an SSH node pool cluster leaves nothing
// running on hosts that other clusters reuse. stopped counts the jobs that
// still had processes running. A node that does not answer SSH within a
// few seconds is listed in unreachable, not failed: a lost machine runs
// nothing, and a controller replacing it must be able to tear down. It
// fails when a process group survives SIGKILL or a command fails.
func (r *Runner) Release(ctx context.Context, cl *Cluster) (stopped int, unreachable []string, err error) {
	s, errs, err := r.dial(ctx, cl, workerQueryTimeout, workerQueryTimeout)
	if err != nil {
		return 0, nil, err
	}
	defer s.close()
	outs := make([]string, len(s.conns))
	runErrs := parallel(ctx, len(s.conns), r.MaxParallel, func(ctx context.Context, i int) error {
		if errs[i] != nil {
			return nil
		}
		out, err := s.conns[i].output(ctx, releaseCmd(cl.Name), nil)
		outs[i] = out
		return err
	})
	var failed []error
	ids := map[string]bool{}
	for i, out := range outs {
		if errs[i] != nil {
			unreachable = append(unreachable, fmt.Sprintf("%s: %v", s.conns[i].node.Label(), errs[i]))
			continue
		}
		if runErrs[i] != nil {
			failed = append(failed, fmt.Errorf("%s: %w; job processes of %s may still run there", s.conns[i].node.Label(), runErrs[i], cl.Name))
			continue
		}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			switch f[0] {
			case "stopped":
				ids[f[1]] = true
			case "alive":
				failed = append(failed, fmt.Errorf("%s: job %s's processes survived SIGKILL", s.conns[i].node.Label(), f[1]))
			}
		}
	}
	return len(ids), unreachable, errors.Join(failed...)
}
