// Package task reads SkyPilot task YAML into typed values. The parser keeps
// yaml.Node positions so every diagnostic names file:line:col and the field.
package task

import _ "github.com/skyplan/skyplan/cloud/registry" // the clouds task fields are checked against

import "github.com/skyplan/skyplan/diag"

// Pipeline is a YAML file: one task, or a chain of tasks (multi-document).
type Pipeline struct {
	Name  string  // header document's name, if any
	Tasks []*Task // in chain order; len 1 for a plain task file
	File  string  // path the pipeline was read from ("" for inline)
	// Execution is the header's execution mode: "" or "serial" (chain) or
	// "parallel" (a SkyPilot job group; kept, refused by commands).
	Execution string
	// Header holds the header document's other keys (primary_tasks,
	// termination_delay), kept raw.
	Header map[string]any

	opts LoadOptions // kept so overrides validate names like the YAML did
}

// Task is one SkyPilot task.
type Task struct {
	Name       string
	Workdir    *Workdir
	NumNodes   int // >= 1
	Resources  ResourceSet
	Setup      string
	Run        string
	Envs       []EnvVar // YAML order; values may be nil until overrides fill them
	Secrets    []EnvVar
	FileMounts []FileMount // sorted by Dst
	Config     map[string]any
	Service    *Service // SkyServe section (nil without one); commands that cannot use it refuse it
	Pool       map[string]any
	Volumes    map[string]any
	// Pipeline data flow (experimental in SkyPilot, used by the pipeline optimizer).
	Inputs  map[string]float64 // URI → size GB
	Outputs map[string]float64
	// DependsOn names earlier tasks for general DAGs (skyplan extension).
	DependsOn []string

	// Where the task came from, for diagnostics after parsing.
	Source Source

	// EventCallback is SkyPilot's managed-job status hook (kept raw).
	EventCallback string

	// raw keeps the values before $VAR substitution so overrides of envs
	// can re-run it (see ApplyOverrides).
	raw *rawSubst
}

// Source remembers the file and the position of each field path
// ("resources.accelerators", "file_mounts./data") so later stages (optimizer,
// compiler) can still report file:line:col.
type Source struct {
	File      string
	Doc       int // 0-based document index in a multi-document file
	Positions map[string]diag.Range
}

// Range returns the recorded range of a field path, or a file-only range.
func (s Source) Range(field string) *diag.Range {
	if r, ok := s.Positions[field]; ok {
		return &r
	}
	if s.File == "" {
		return nil
	}
	return &diag.Range{Filename: s.File}
}

// EnvVar is one entry of envs or secrets. Value is nil for YAML null.
type EnvVar struct {
	Key   string
	Value *string
}

// Workdir is a local directory or a git repository.
type Workdir struct {
	Path string // local directory (absolute after loading)
	URL  string // git URL
	Ref  string
}

// FileMount is one entry of file_mounts.
type FileMount struct {
	Dst string
	// Exactly one of Src (local path or cloud URI) and Storage is set.
	Src     string
	Storage *Storage
}

// Storage is a bucket spec under file_mounts.
type Storage struct {
	Name       string
	Source     []string // local paths or one bucket URI
	Store      string   // "s3" | "gcs" | "azure" | ... ("" = inferred from the chosen cloud)
	Mode       string   // "MOUNT" (default) | "COPY" | "MOUNT_CACHED"
	Persistent bool     // default true
	// Extra keeps config, type and SkyPilot's internal keys, raw.
	Extra map[string]any
}

// ResourceSet is the candidate resources of a task. Every item is one
// concrete request (one accelerator type at most). Ordered means "first item
// with any candidate wins, fall back in list order"; otherwise cheapest of all.
type ResourceSet struct {
	Items   []Resources
	Ordered bool
}

// Resources is one candidate resource request.
type Resources struct {
	Infra           Infra
	CPUs            *Quantity // nil = default (8+ when no accelerator/instance type)
	Memory          *Quantity // nil = default (4x vCPUs)
	Accelerator     *Accelerator
	AcceleratorArgs *AcceleratorArgs
	InstanceType    string
	UseSpot         bool
	UseSpotSet      bool   // use_spot was written explicitly
	DiskSizeGB      int    // default 256
	DiskTier        string // "" | low | medium | high | ultra | best
	NetworkTier     string // "" | standard | best
	Ports           []PortRange
	ImageID         *ImageID
	Labels          map[string]string
	MaxHourlyCost   float64 // 0 = no cap
	Autostop        *Autostop
	JobRecovery     *JobRecovery // resources.job_recovery; nil when not given
	LocalDisk       string
	TimeEstimateHrs map[string]float64 // accelerator name (or "" default) → hours, pipelines
	// Extra keeps SkyPilot fields skyplan parses but does not use
	// (priority, priority_class, volumes, ephemeral_storage, _internal).
	Extra map[string]any
	// Fields maps each resources key of this candidate to the field path it
	// came from ("resources.any_of[1].cpus"), for Task.Source.Range.
	Fields map[string]string
}

// Infra pins a cloud, region and zone; empty strings are wildcards.
// Cloud "ssh" uses Region to hold the node pool name.
type Infra struct {
	Cloud  string // "aws" | "gcp" | "azure" | "ssh" | other (refused later)
	Region string
	Zone   string
}

// Quantity is a number with "+" (at least) or "x" (per vCPU, memory only).
type Quantity struct {
	Value   float64
	AtLeast bool // "8+"
	PerCPU  bool // "4x" memory
}

// Accelerator is a canonical accelerator name and count.
type Accelerator struct {
	Name  string  // canonical: "V100", "A10G", "tpu-v5litepod-8", "Inferentia2"
	Count float64 // may be fractional
	// Spec is the memory spec this candidate was expanded from ("80GB+"),
	// "" when the user named the accelerator.
	Spec string
}

// AcceleratorArgs holds TPU options.
type AcceleratorArgs struct {
	RuntimeVersion string
	TPUName        string
	TPUVM          bool // default true
	QueuedResource bool
}

// PortRange is an inclusive TCP port range; From == To for one port.
type PortRange struct{ From, To int }

// ImageID is one image for every region (Default) or one per region.
type ImageID struct {
	Default   string
	PerRegion map[string]string
}

// Autostop is the idle teardown policy.
type Autostop struct {
	Enabled     bool
	IdleMinutes int
	Down        bool
	WaitFor     string // jobs_and_ssh | jobs | none
	Hook        string
	// HookTimeoutSec bounds the hook's run time (0 = SkyPilot's default).
	HookTimeoutSec int
}
