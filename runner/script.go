package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skyplan/skyplan/task"
)

// EnvVar is one exported variable of a task script, in export order.
type EnvVar struct {
	Key, Value string
}

// MakeTaskScript wraps a user's setup or run script as SkyPilot's
// log_lib.make_task_bash_script does, minus the conda and Ray parts that do
// not apply to agentless nodes: source ~/.bashrc, cd ~/sky_workdir, export
// every variable shell-quoted, then the user's script verbatim (so `set -e`
// applies only when the user wrote it).
func MakeTaskScript(user string, env []EnvVar, setup bool) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	// A non-interactive bash does not read ~/.bashrc; SkyPilot sources it so
	// PATH additions from images (CUDA, pyenv...) apply.
	b.WriteString("source ~/.bashrc > /dev/null 2>&1 || true\n")
	b.WriteString("export PYTHONUNBUFFERED=1\n")
	if setup {
		b.WriteString("unset CUDA_VISIBLE_DEVICES\n")
	}
	b.WriteString("cd ~/sky_workdir 2>/dev/null || { mkdir -p ~/sky_workdir && cd ~/sky_workdir; }\n")
	for _, e := range env {
		fmt.Fprintf(&b, "export %s=%s\n", e.Key, shellQuote(e.Value))
	}
	b.WriteString(user)
	if !strings.HasSuffix(user, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// TaskID is SKYPILOT_TASK_ID: sky-YYYY-MM-DD-HH-MM-SS-ffffff_<cluster>_<job>.
func TaskID(t time.Time, cluster string, jobID int) string {
	return fmt.Sprintf("sky-%s-%06d_%s_%d", t.Format("2006-01-02-15-04-05"), t.Nanosecond()/1000, cluster, jobID)
}

// ClusterInfoJSON renders SKYPILOT_CLUSTER_INFO as Python's json.dumps does
// with default separators (", " and ": ") and ensure_ascii; an empty zone
// is null.
func ClusterInfoJSON(cluster, cloudName, region, zone string) string {
	var zoneJSON string
	if zone == "" {
		zoneJSON = "null"
	} else {
		zoneJSON = pyJSONString(zone)
	}
	return fmt.Sprintf(`{"cluster_name": %s, "cloud": %s, "region": %s, "zone": %s}`,
		pyJSONString(cluster), pyJSONString(cloud.DisplayName(cloudName)), pyJSONString(region), zoneJSON)
}

func pyJSONString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(buf.String(), "\n")
	if isASCII(out) {
		return out
	}
	var b strings.Builder
	for _, r := range out {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + (r>>10)&0x3FF, 0xDC00 + r&0x3FF
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isGPU reports whether an accelerator counts in SKYPILOT_NUM_GPUS_PER_NODE
// (TPUs, Inferentia and Trainium do not).
func isGPU(name string) bool {
	l := strings.ToLower(name)
	return !task.IsTPU(name) && !strings.HasPrefix(l, "inferentia") && !strings.HasPrefix(l, "trainium")
}

// firstAccelerator returns the (sorted-first) accelerator of a node.
func firstAccelerator(acc map[string]float64) (string, float64) {
	var names []string
	for n, c := range acc {
		if c > 0 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return "", 0
	}
	sort.Strings(names)
	return names[0], acc[names[0]]
}

// JobEnv is what the SKYPILOT_* variables of one job are computed from.
type JobEnv struct {
	Cluster      *Cluster
	JobID        int
	TaskID       string
	User         string
	NumNodes     int                // nodes the run uses (ranks 0..NumNodes-1)
	Accelerators map[string]float64 // per node
	Envs         []task.EnvVar
	Secrets      []task.EnvVar
}

func taskEnv(e JobEnv) []EnvVar {
	var out []EnvVar
	for _, list := range [][]task.EnvVar{e.Envs, e.Secrets} {
		for _, v := range list {
			val := ""
			if v.Value != nil {
				val = *v.Value
			}
			out = append(out, EnvVar{v.Key, val})
		}
	}
	return out
}

// withSkyplanAliases appends a SKYPLAN_* copy of every SKYPILOT_* variable.
func withSkyplanAliases(vars []EnvVar) []EnvVar {
	out := append([]EnvVar(nil), vars...)
	for _, v := range vars {
		out = append(out, EnvVar{"SKYPLAN_" + strings.TrimPrefix(v.Key, "SKYPILOT_"), v.Value})
	}
	return out
}

func (e JobEnv) common() []EnvVar {
	cl := e.Cluster
	return []EnvVar{
		{"SKYPILOT_TASK_ID", e.TaskID},
		{"SKYPILOT_CLUSTER_INFO", ClusterInfoJSON(cl.Name, cl.Cloud, cl.Region, cl.Zone)},
		{"SKYPILOT_USER", e.User},
	}
}

// RunEnv is the environment of the run script on the node of rank.
func (e JobEnv) RunEnv(rank int) []EnvVar {
	ips := make([]string, 0, e.NumNodes)
	for _, n := range e.Cluster.Nodes[:e.NumNodes] {
		ips = append(ips, n.PrivateIP)
	}
	gpus := 0
	if name, c := firstAccelerator(e.Accelerators); name != "" && isGPU(name) {
		gpus = int(math.Ceil(c))
	}
	sky := []EnvVar{
		{"SKYPILOT_NODE_RANK", strconv.Itoa(rank)},
		{"SKYPILOT_NODE_IPS", strings.Join(ips, "\n")},
		{"SKYPILOT_NUM_NODES", strconv.Itoa(e.NumNodes)},
		{"SKYPILOT_NUM_GPUS_PER_NODE", strconv.Itoa(gpus)},
		{"SKYPILOT_INTERNAL_JOB_ID", strconv.Itoa(e.JobID)},
	}
	sky = append(sky, e.common()...)
	return append(taskEnv(e), withSkyplanAliases(sky)...)
}

// SetupEnv is the environment of the setup script on the node of rank
// (setup runs on every node of the cluster).
func (e JobEnv) SetupEnv(rank int) []EnvVar {
	ips := make([]string, 0, len(e.Cluster.Nodes))
	for _, n := range e.Cluster.Nodes {
		ips = append(ips, n.PrivateIP)
	}
	gpus := 0
	if name, c := firstAccelerator(e.Accelerators); name != "" {
		gpus = int(math.Ceil(c))
	}
	sky := []EnvVar{
		{"SKYPILOT_SETUP_NODE_RANK", strconv.Itoa(rank)},
		{"SKYPILOT_SETUP_NODE_IPS", strings.Join(ips, "\n")},
		{"SKYPILOT_SETUP_NUM_GPUS_PER_NODE", strconv.Itoa(gpus)},
		{"SKYPILOT_NUM_NODES", strconv.Itoa(e.NumNodes)},
	}
	sky = append(sky, e.common()...)
	return append(taskEnv(e), withSkyplanAliases(sky)...)
}
