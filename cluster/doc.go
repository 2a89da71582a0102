// Package cluster is skyplan's operations layer: what the CLI and the
// long-running jobs and serve controllers call to launch, run on, watch and
// tear down clusters. It plays the role of Terraform's backend
// "operations": each call takes a typed request, does the whole operation
// (state records, locks, Terraform through provision, SSH through runner)
// and returns a typed result plus diag.Diagnostics. Nothing here reads
// flags, os.Args or prints to stdout; progress goes to the Manager's (or
// the request's) Log writer; every call is cancelled by its context.
//
// Build one Manager per process (or per controller) and share it:
//
//	m, err := cluster.New(cluster.Options{Store: store, Config: cfg, Log: os.Stderr})
//
// The API (signatures are stable; new fields may be added to requests):
//
//	func New(opts Options) (*Manager, error)
//	func (m *Manager) Launch(ctx, LaunchRequest) (*LaunchResult, diag.Diagnostics)
//	func (m *Manager) ApplySaved(ctx, ApplySavedRequest) (*LaunchResult, diag.Diagnostics)
//	func (m *Manager) Plan(ctx, PlanRequest) (*PlanResult, diag.Diagnostics)
//	func (m *Manager) Compile(CompileRequest) (*CompileResult, diag.Diagnostics)
//	func (m *Manager) Exec(ctx, ExecRequest) (*JobResult, diag.Diagnostics)
//	func (m *Manager) Queue(ctx, cluster string) ([]JobInfo, diag.Diagnostics)
//	func (m *Manager) JobStatus(ctx, cluster string, id int) (*JobInfo, diag.Diagnostics)
//	func (m *Manager) Logs(ctx, LogsRequest) (*JobInfo, diag.Diagnostics)
//	func (m *Manager) Cancel(ctx, cluster string, ids []int, all bool) ([]int, diag.Diagnostics)
//	func (m *Manager) Refresh(ctx, RefreshRequest) (*RefreshResult, diag.Diagnostics)
//	func (m *Manager) Stop(ctx, PowerRequest) (*PowerResult, diag.Diagnostics)
//	func (m *Manager) Start(ctx, PowerRequest) (*PowerResult, diag.Diagnostics)
//	func (m *Manager) Down(ctx, DownRequest) (*DownResult, diag.Diagnostics)
//	func (m *Manager) Get(name string) (*state.Cluster, diag.Diagnostics)
//	func (m *Manager) List(names ...string) ([]*state.Cluster, diag.Diagnostics)
//
// Launch takes a task, a cluster name and placement Constraints (blocked
// locations, a use_spot override, or fixed candidate placements) and
// returns the cluster record with its nodes and, unless ProvisionOnly, the
// job it ran (Detach: submitted, not awaited). A cluster that is UP and
// fits is reused; one that was ever UP is never moved; otherwise the
// optimizer's best placement is provisioned with zone/region/cloud
// fallback (provision.Launcher). SSH node pools (placement cloud "ssh")
// are one more implementation behind the same calls: Launch takes free
// hosts of the pool, Down releases them, Refresh probes their SSH ports.
//
// Jobs: Exec submits a task's run section to the head's job queue and
// returns its id (JobResult.ID); JobStatus, Logs, Queue and Cancel read and
// act on that queue. A job that failed is a result (JobResult.ExitCode,
// JobInfo.Status), not an error diagnostic; a job id the head does not know
// is a nil JobInfo without error diagnostics.
//
// Preemption: Refresh compares the cluster with the cloud (a refresh-only
// Terraform plan, or a port probe on a pool). Drift (a terminated spot
// instance shows as its resource address) is returned and recorded: the
// cluster goes to INIT with state.Cluster.Drift set. A controller then
// Downs it and Launches again with the lost zone in Constraints.Blocked.
//
// Concurrency: operations on different clusters run in parallel; two on
// the same cluster never overlap: the second gets a "Cluster is busy"
// error diagnostic (an in-process lock plus the store's per-process lock).
// Exec, Queue, JobStatus, Logs and Cancel take no lock: the head's job
// queue serialises them.
package cluster
