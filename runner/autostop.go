package runner

import (
	"context"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"strings"

	"github.com/skyplan/skyplan/task"
)

// Autostop without an agent: the runner installs a small loop script on the
// head (~/.skyplan/autostop.sh, started under setsid, replacing any earlier
// one). Every 60 s it checks idleness as SkyPilot's AutostopEvent: no job
// driver alive and, for wait_for jobs_and_ssh, no SSH session; the idle
// timer is the mtime of ~/.skyplan/last_active, touched by every job start
// and end. When idle for idle_minutes it runs the hook, then the action.
//
// Credentials: the action runs on the head, so the head needs permission to
// stop or terminate its own cluster: on AWS an instance profile allowing
// ec2:StopInstances / ec2:TerminateInstances on the cluster's instances; on
// GCP a service account with compute.instances.stop/delete; on Azure a
// managed identity with Virtual Machine Contributor on the resource group.
// For SSH node pools the machines are not skyplan's to stop: the script
// only logs that the cluster went idle (nothing destructive).

// AutostopAction is the shell command the head runs when idle.
func AutostopAction(cl *Cluster, down bool) string {
	var ids []string
	for _, n := range cl.Nodes {
		if n.InstanceID != "" {
			ids = append(ids, shellQuote(n.InstanceID))
		}
	}
	idList := strings.Join(ids, " ")
	// Stopping follows cloud.Power, the answer `skyplan stop` gives too: a
	// cluster skyplan cannot stop is not stopped behind its back (state.db
	// would still say UP); it is only logged as idle.
	if !down {
		if ok, reason := cloud.CanStop(cl.Cloud, cl.UseSpot); !ok {
			return fmt.Sprintf("echo %s", shellQuote("skyplan autostop: cluster "+cl.Name+" is idle; it is left running because "+reason+" (use autostop with --down to tear it down)"))
		}
	}
	if s, ok := cloud.As[cloud.SelfStop](cl.Cloud); ok {
		return s.HeadCommand(cl.Region, cl.Zone, idList, down)
	}
	return fmt.Sprintf("echo %s", shellQuote("skyplan autostop: cluster "+cl.Name+" is idle; machines of SSH node pools are left running"))
}

// AutostopScript is the idle-check loop installed on the head.
func AutostopScript(cl *Cluster, a task.Autostop) string {
	minutes := a.IdleMinutes
	if minutes < 1 {
		minutes = 1 // SkyPilot turns -i 0 into 1 minute
	}
	waitFor := a.WaitFor
	if waitFor == "" {
		waitFor = "jobs_and_ssh"
	}
	hook := ""
	if a.Hook != "" {
		hook = fmt.Sprintf("timeout 3600 bash -c %s >> \"$L\" 2>&1 || true\n  ", shellQuote(a.Hook))
	}
	return fmt.Sprintf(`#!/bin/bash
# skyplan autostop for cluster %[1]s (generated): idle %[2]d min, wait_for %[3]s.
S=$HOME/.skyplan; L=$S/autostop.log
touch "$S/last_active"
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
while sleep 60; do
  busy=
  if [ %[3]s != none ]; then
    for d in "$S"/jobs/*/; do
      [ -e "$d/done" ] && continue
      p=$(cat "$d/pid" 2>/dev/null) && alive "$p" && { busy=1; break; }
    done
  fi
  if [ -z "$busy" ] && [ %[3]s = jobs_and_ssh ] && ps -eo args | grep -q '^sshd: [^ ]*@'; then busy=1; fi
  if [ -n "$busy" ]; then touch "$S/last_active"; continue; fi
  idle=$(( $(date +%%s) - $(stat -c %%Y "$S/last_active") ))
  [ "$idle" -ge %[4]d ] || continue
  echo "$(date): idle for ${idle}s, autostopping" >> "$L"
  %[5]s%[6]s >> "$L" 2>&1
  exit 0
done
`, cl.Name, minutes, waitFor, minutes*60, hook, AutostopAction(cl, a.Down))
}

// installAutostop starts the idle check on the head when the task asks for it.
func (s *session) installAutostop(ctx context.Context, t *task.Task) error {
	var a *task.Autostop
	for _, it := range t.Resources.Items {
		if it.Autostop != nil {
			a = it.Autostop
			break
		}
	}
	if a == nil || !a.Enabled {
		return nil
	}
	cmd := `S=$HOME/.skyplan; mkdir -p "$S" && cat > "$S/autostop.sh" && chmod 700 "$S/autostop.sh" &&
{ [ -s "$S/autostop.pid" ] && kill "$(cat "$S/autostop.pid")" 2>/dev/null; true; } &&
touch "$S/last_active" &&
{ setsid bash "$S/autostop.sh" > /dev/null 2>&1 < /dev/null & echo $! > "$S/autostop.pid"; }`
	if _, err := s.conns[0].output(ctx, cmd, strings.NewReader(AutostopScript(s.cl, *a))); err != nil {
		return fmt.Errorf("installing autostop on the head: %w", err)
	}
	return nil
}
