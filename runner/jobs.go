package runner

import (
	"fmt"
	"strconv"
	"strings"
)

// The job queue lives on the nodes, not in a daemon: each node keeps
// ~/.skyplan/jobs/<id>/ with the job's scripts, a driver (wrap.sh) started
// under setsid so it outlives the SSH session, and small state files:
//
//	pid        process-group leader of the running driver
//	status     PENDING | SETTING_UP | RUNNING | SUCCEEDED | FAILED | FAILED_SETUP | CANCELLED
//	setup.rc   run.rc   exit codes; <phase>.exit the driver's own exit code
//	log        the node's combined setup + run output (secrets redacted)
//	started ended  unix seconds; done  present once the driver finished
//	accel      non-empty when the job holds accelerators (FIFO gate)
//
// The head's directory also holds the job's name, submitted time, number of
// run nodes, and final/cancelled markers written by skyplan. Job ids are
// claimed on the head with mkdir, which is atomic.
const jobsRoot = "$HOME/.skyplan/jobs"

// Job states (SkyPilot's job_lib.JobStatus subset).
const (
	JobPending     = "PENDING"
	JobSettingUp   = "SETTING_UP"
	JobRunning     = "RUNNING"
	JobSucceeded   = "SUCCEEDED"
	JobFailed      = "FAILED"
	JobFailedSetup = "FAILED_SETUP"
	JobCancelled   = "CANCELLED"
)

// Terminal reports whether a job status is final.
func Terminal(status string) bool {
	switch status {
	case JobSucceeded, JobFailed, JobFailedSetup, JobCancelled:
		return true
	}
	return false
}

func jobDir(id int) string { return jobsRoot + "/" + strconv.Itoa(id) }

// allocateJobCmd claims the next job id on the head and records the job's
// metadata, including the cluster it belongs to (SSH pool hosts are
// reused by other clusters); it prints the id.
func allocateJobCmd(cluster, name string, submitted int64, numNodes int) string {
	// Builtins except mkdir: this runs on the head before every job.
	return fmt.Sprintf(`set -e
mkdir -p %[1]s && cd %[1]s
i=0
for d in [0-9]*; do case $d in *[!0-9]*) ;; *) [ "$d" -gt "$i" ] && i=$d;; esac; done
i=$((i+1))
while ! mkdir "$i" 2>/dev/null; do i=$((i+1)); done
printf '%%s' %[2]s > "$i/name"
echo %[3]d > "$i/submitted"
echo %[4]d > "$i/nodes"
printf '%%s' %[5]s > "$i/cluster"
echo PENDING > "$i/status"
: > "$HOME/.skyplan/last_active"
echo "$i"
`, jobsRoot, shellQuote(name), submitted, numNodes, shellQuote(cluster))
}

// wrapScript is the per-node job driver, run as `setsid bash wrap.sh PHASE`
// with PHASE setup, run or all (setup then run, for detached jobs).
func wrapScript(id int) string {
	return fmt.Sprintf(`#!/bin/bash
# skyplan job driver (generated). Runs under setsid so it outlives skyplan.
J=%[1]s
phase=$1
echo $$ > "$J/pid"
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# FIFO: an accelerator job waits while an earlier accelerator job on this
# node is still pending or running. CPU-only jobs run concurrently.
if [ -s "$J/accel" ] && [ ! -e "$J/waited" ]; then
  echo PENDING > "$J/status"
  while :; do
    busy=
    for d in "$HOME"/.skyplan/jobs/*/; do
      i=$(basename "$d")
      case $i in ''|*[!0-9]*) continue;; esac
      [ "$i" -lt %[2]d ] || continue
      [ -s "$d/accel" ] && [ ! -e "$d/done" ] || continue
      p=$(cat "$d/pid" 2>/dev/null) && alive "$p" && { busy=$i; break; }
    done
    [ -z "$busy" ] && break
    # Which job holds the accelerators, for skyplan's progress report.
    printf '%%s' "$busy" > "$J/waiting_for"
    sleep 0.5
  done
fi
# Builtins only on the hot path: every spawned process costs on big clusters.
: > "$J/waited"
[ -e "$J/started" ] || printf '%%(%%s)T\n' -1 > "$J/started"
: > "$HOME/.skyplan/last_active"
step() {
  if [ -s "$J/redact" ]; then
    bash "$J/$1.sh" < /dev/null 2>&1 | awk -v f="$J/redact" '
      BEGIN { n = 0; while ((getline l < f) > 0) s[n++] = l }
      { line = $0
        for (k = 0; k < n; k++) { out = ""; rest = line
          while ((i = index(rest, s[k])) > 0) { out = out substr(rest, 1, i - 1) "***"; rest = substr(rest, i + length(s[k])) }
          line = out rest }
        print line; fflush() }' >> "$J/log"
    return ${PIPESTATUS[0]}
  fi
  bash "$J/$1.sh" < /dev/null >> "$J/log" 2>&1
}
finish() { printf '%%(%%s)T\n' -1 > "$J/ended"; : > "$J/done"; : > "$HOME/.skyplan/last_active"; echo "$1" > "$J/$phase.exit"; exit "$1"; }
rc=0
if [ "$phase" != run ] && [ -s "$J/setup.sh" ]; then
  echo SETTING_UP > "$J/status"
  step setup; rc=$?
  echo $rc > "$J/setup.rc"
  if [ $rc -ne 0 ]; then echo FAILED_SETUP > "$J/status"; finish $rc; fi
fi
if [ "$phase" = setup ]; then echo 0 > "$J/$phase.exit"; exit 0; fi
if [ -s "$J/run.sh" ]; then
  echo RUNNING > "$J/status"
  step run; rc=$?
  echo $rc > "$J/run.rc"
  if [ $rc -eq 0 ]; then echo SUCCEEDED > "$J/status"; else echo FAILED > "$J/status"; fi
else
  echo SUCCEEDED > "$J/status"
fi
finish $rc
`, jobDir(id), id)
}

// stageCmd writes the job's files on a node by sourcing the script on
// stdin (see jobFiles); the head's directory exists already.
func stageCmd(id int) string {
	return fmt.Sprintf(`J=%s; { [ -d "$J" ] || mkdir -p -m 700 "$J"; } && . /dev/stdin`, jobDir(id))
}

// startCmd starts the driver for phase under setsid; with stream it then
// follows the node's log from byte offset and exits with the driver's code.
func startCmd(id int, phase string, stream bool, offset int64) string {
	s := fmt.Sprintf(`J=%s; cd "$J" || exit 1; : >> log; [ -e %s.exit ] && rm -f %s.exit
setsid bash wrap.sh %s > /dev/null 2>&1 < /dev/null &
p=$!
`, jobDir(id), phase, phase, phase)
	if !stream {
		return s + "echo $p\n"
	}
	// bash reaps the driver (its child) while tail runs, so tail --pid ends
	// when the driver does; wait then yields its exit code.
	return s + fmt.Sprintf(`echo %s
tail -c +%d -F -s 0.05 --pid=$p log 2>/dev/null
wait $p
`, streamMarker, offset+1)
}

// streamMarker precedes the log bytes in a stream session, so anything a
// login shell's rc file prints before our command runs is not taken for
// log output (and does not shift the resume offset).
const streamMarker = "--skyplan-log-stream-5f1c--"

// resumeCmd follows the log again after a reconnect. The driver is no
// longer our child, so wait on its exit file rather than its pid.
func resumeCmd(id int, phase string, offset int64) string {
	return fmt.Sprintf(`J=%s; cd "$J" || exit 1
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
echo %s
tail -c +%d -F -s 0.05 log 2>/dev/null & t=$!
p=$(cat pid 2>/dev/null)
while [ ! -e %s.exit ] && alive "$p"; do sleep 0.2; done
sleep 0.3; kill $t 2>/dev/null
[ -e %s.exit ] && exit "$(cat %s.exit)"
echo "skyplan: job driver vanished" >&2; exit 255
`, jobDir(id), streamMarker, offset+1, phase, phase, phase)
}

// stopCmd kills a job's process tree on a node: TERM to the driver's
// process group, then KILL after a grace period. status is what the node
// records (CANCELLED for cancel, FAILED when stopped after another node failed).
func stopCmd(id int, status string) string {
	return fmt.Sprintf(`J=%s; [ -d "$J" ] || exit 0; cd "$J"
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
p=$(cat pid 2>/dev/null)
if [ -n "$p" ] && [ ! -e done ]; then
  kill -TERM -- "-$p" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$p" || break; sleep 0.2; done
  kill -KILL -- "-$p" 2>/dev/null
fi
if [ ! -e done ]; then
  [ -s run.sh ] && [ ! -e run.rc ] && [ %[2]s != CANCELLED ] && echo 137 > run.rc
  echo %[2]s > status; date +%%s > ended; touch done
fi
`, jobDir(id), status)
}

// markCmd writes head-side markers (final status, cancelled, ended).
func markCmd(id int, file, value string) string {
	return fmt.Sprintf(`J=%s; [ -d "$J" ] && printf '%%s\n' %s > "$J/%s" && date +%%s > "$J/ended.head"`,
		jobDir(id), shellQuote(value), file)
}

// queryCmd prints one '|'-separated line per job of cluster on a node.
// A job directory names its cluster; one without a name (written before
// skyplan recorded it) is shown to every cluster of the host.
func queryCmd(cluster string) string {
	return `c=` + shellQuote(cluster) + `
cd "$HOME/.skyplan/jobs" 2>/dev/null || exit 0
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
r() { [ -f "$i/$1" ] && head -c 256 "$i/$1" | tr -d '\n|'; }
for d in */; do
  i=${d%/}
  case $i in ''|*[!0-9]*) continue;; esac
  [ -f "$i/cluster" ] && [ "$(cat "$i/cluster")" != "$c" ] && continue
  a=0; p=$(r pid); [ -n "$p" ] && [ ! -e "$i/done" ] && alive "$p" && a=1
  echo "$i|$(r name)|$(r submitted)|$(r status)|$(r started)|$(r ended)|$(r final)|$(r cancelled)|$(r setup.rc)|$(r run.rc)|$a|$(r nodes)"
done
`
}

// releaseCmd stops every job process of cluster on a node and removes the
// cluster's job directories, so nothing it started keeps running and the
// next cluster on a shared host starts clean. Each job's driver leads its
// own process group (setsid), which is killed as a whole: TERM, a grace
// period, then KILL. It prints "stopped ID" per job it had to stop and
// "alive ID" for a group that survived.
func releaseCmd(cluster string) string {
	return `c=` + shellQuote(cluster) + `
cd "$HOME/.skyplan/jobs" 2>/dev/null || exit 0
grp() { kill -0 -- "-$1" 2>/dev/null; }
for d in */; do
  i=${d%/}
  case $i in ''|*[!0-9]*) continue;; esac
  [ "$(cat "$i/cluster" 2>/dev/null)" = "$c" ] || continue
  p=$(cat "$i/pid" 2>/dev/null)
  if [ -n "$p" ] && grp "$p"; then
    kill -TERM -- "-$p" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do grp "$p" || break; sleep 0.2; done
    kill -KILL -- "-$p" 2>/dev/null; sleep 0.1
    if grp "$p"; then echo "alive $i"; continue; fi
    echo "stopped $i"
  fi
  rm -rf "$i"
done
`
}

// nodeJob is one node's view of one job, parsed from queryCmd.
type nodeJob struct {
	id                             int
	name, status, final, cancelled string
	submitted, started, ended      int64
	setupRC, runRC                 *int
	alive                          bool
	nodes                          int
}

func parseQuery(out string) map[int]nodeJob {
	jobs := map[int]nodeJob{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 12 {
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		j := nodeJob{id: id, name: f[1], status: f[3], final: f[6], cancelled: f[7], alive: f[10] == "1"}
		j.submitted, _ = strconv.ParseInt(f[2], 10, 64)
		j.started, _ = strconv.ParseInt(f[4], 10, 64)
		j.ended, _ = strconv.ParseInt(f[5], 10, 64)
		j.setupRC, j.runRC = atoiPtr(f[8]), atoiPtr(f[9])
		j.nodes, _ = strconv.Atoi(f[11])
		jobs[id] = j
	}
	return jobs
}

func atoiPtr(s string) *int {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &v
}
