// Package runner runs tasks on a cluster's nodes over SSH, agentless:
// golang.org/x/crypto/ssh from the user's machine to every node, nothing
// installed on the nodes but a few generated shell scripts.
//
// # Library API (used by apply, exec, queue, logs, cancel)
//
//	cl, err := runner.ClusterFromState(stateCluster, cfg) // nodes, ssh_proxy_command, known_hosts
//	r := &runner.Runner{Stderr: io.Err, Store: store}      // Store optional: local job records
//	res, err := r.Launch(ctx, cl, task, runner.LaunchOptions{Detach: false, SkipSetup: false, BaseDir: dir})
//	res, err := r.Exec(ctx, cl, task, runner.LaunchOptions{Detach: true}) // workdir sync + run only
//	jobs, err := r.Queue(ctx, cl, warn)
//	info, err := r.JobStatus(ctx, cl, id)                   // id 0 = latest; ErrJobNotFound
//	info, err := r.Logs(ctx, cl, id, follow, w)
//	ids, err := r.Cancel(ctx, cl, ids, all)
//
// Launch waits for SSH on every node (backoff, ConnectTimeout), syncs the
// workdir, copies file mounts, mounts storage, installs autostop, then
// runs setup on every node and run on num_nodes nodes, all in parallel
// (bounded by MaxParallel). err is for failures before the job ran
// (unreachable node, changed host key, sync failure); a job that ran and
// failed is a Result with Status FAILED/FAILED_SETUP, ExitCode (the failing
// node's code, which skyplan exits with), ReturnCodes by rank (137 = stopped
// by skyplan after another node failed, -1 = node lost) and a Message that
// names the node, its rank and code. Ctrl-C (ctx cancelled) stops following
// the logs; the job keeps running (as SkyPilot).
//
// # Connection
//
// Keys: the node's identity_file, else skyplan's own key
// ($SKYPLAN_HOME/ssh/skyplan-key, created on first use), plus ssh-agent
// keys when SSH_AUTH_SOCK is set. Host keys: $SKYPLAN_HOME/known_hosts/<cluster>,
// recorded on first contact and pinned after; a different key is a
// *HostKeyChangedError naming the node, never ignored. ssh_proxy_command
// (OpenSSH %h %p %r %% tokens) runs under `sh -c` and its stdin/stdout are
// the transport; a jump host is `ssh -W %h:%p jump` as the proxy command.
// Keepalives (KeepaliveInterval) detect dead nodes; a dropped stream is
// resumed from the last byte after reconnecting within ReconnectWindow,
// after which the node is reported lost.
//
// # On the nodes
//
// Scripts are wrapped as SkyPilot's make_task_bash_script (MakeTaskScript):
// source ~/.bashrc, cd ~/sky_workdir, export envs, secrets and SKYPILOT_*
// variables (each also as SKYPLAN_*), shell-quoted, then the user's script
// as written. Each node keeps ~/.skyplan/jobs/<id>/ (see jobs.go for the
// file protocol); a driver started under setsid runs setup/run so jobs
// outlive skyplan (-d). Job ids are claimed on the head with mkdir. FIFO:
// a job with accelerators waits (PENDING) while an earlier accelerator job
// on the node is pending or running; CPU-only jobs run concurrently.
// Secrets are replaced by *** in the node's log (awk filter), in the local
// logs ($SKYPLAN_HOME/logs/<cluster>/<job>/rank<N>-<head|workerN>.log) and
// on stderr.
//
// Workdir and local file mounts travel as tar streams over the SSH session
// (tar -x on the node); .skyignore files when the workdir has one, else
// .gitignore files and .git/info/exclude, with gitignore semantics.
// Cloud-URI mounts and buckets are fetched/mounted on the node with the
// cloud's CLI or FUSE tool (CloudFetchCommand, StorageCommand).
//
// # Autostop
//
// See autostop.go: a loop script on the head, credentials needed per cloud,
// and a non-destructive no-op for SSH node pools.
package runner
