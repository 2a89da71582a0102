package task

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// Overrides are `sky launch`-style command-line values that replace the
// YAML's. Empty strings / zero / nil mean "not given".
type Overrides struct {
	Infra, GPUs, CPUs, Memory, InstanceType, DiskSize, DiskTier, ImageID, Name, Workdir string
	NumNodes                                                                            int
	UseSpot                                                                             *bool
	Ports                                                                               []string
	// Envs and Secrets are "K=V", or a bare "K" that copies the local value.
	Envs, Secrets []string
	// EnvFiles are dotenv files (K=V lines); --env wins over them.
	EnvFiles []string
}

func flagErr(flag, summary, detailFormat string, args ...any) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...), Field: flag}
}

func flagValueErr(flag string, err error) diag.Diagnostic {
	var ve *ValueError
	if errors.As(err, &ve) {
		return diag.Diagnostic{Severity: diag.Error, Summary: ve.Summary, Detail: ve.Detail, Field: flag}
	}
	return flagErr(flag, "Invalid "+flag, "%s", err.Error())
}

// ApplyOverrides applies command-line values to every task and every
// candidate resource, re-runs $VAR substitution with the final envs and
// reports envs/secrets still null. Call it (with zero Overrides if there
// are none) before using a loaded pipeline.
func (p *Pipeline) ApplyOverrides(o Overrides, getenv func(string) string) diag.Diagnostics {
	if getenv == nil {
		getenv = os.Getenv
	}
	var ds diag.Diagnostics
	envs, d := collectEnvs(o.EnvFiles, o.Envs, "--env", getenv)
	ds = append(ds, d...)
	secrets, d := collectEnvs(nil, o.Secrets, "--secret", getenv)
	ds = append(ds, d...)
	edit, d := p.resourceEdit(o)
	ds = append(ds, d...)
	if o.Name != "" && !taskNameRE.MatchString(o.Name) {
		ds = append(ds, flagErr("--name", "Invalid task name",
			"Invalid task name %s. Valid name: ASCII characters and may contain lowercase and uppercase letters, digits, underscores, periods, and dashes. Must start and end with alphanumeric characters. No triple dashes or underscores.", o.Name))
	}
	if o.NumNodes < 0 {
		ds = append(ds, flagErr("--num-nodes", "Invalid num_nodes", "num_nodes should be a positive int. Got: %d", o.NumNodes))
	}
	if ds.HasErrors() {
		return ds
	}
	if o.Name != "" {
		if len(p.Tasks) == 1 {
			p.Tasks[0].Name = o.Name
		} else {
			p.Name = o.Name
		}
	}
	for _, t := range p.Tasks {
		if o.NumNodes > 0 {
			t.NumNodes = o.NumNodes
		}
		if t.raw == nil {
			// A Task built in code: its current values are the "as written" ones.
			var vols any
			svc := t.Service
			if t.Volumes != nil {
				vols = map[string]any(t.Volumes)
			}
			t.raw = &rawSubst{workdir: t.Workdir, fileMounts: t.FileMounts, service: svc, volumes: vols}
		}
		if o.Workdir != "" {
			t.raw.workdir = &Workdir{Path: o.Workdir}
			t.Source.Positions = withoutKey(t.Source.Positions, "workdir")
		}
		t.Envs = setEnvs(t.Envs, envs)
		t.Secrets = setEnvs(t.Secrets, secrets)
		if edit != nil {
			var items []Resources
			for _, r := range t.Resources.Items {
				r = cloneResources(r)
				ds = append(ds, edit(&r)...)
				items = appendUnique(items, r)
			}
			t.Resources.Items = items
		}
		ds = append(ds, t.finalize(p.opts.CheckLocalPaths)...)
		ds = append(ds, t.checkNullEnvs()...)
	}
	return ds
}

func withoutKey[V any](m map[string]V, k string) map[string]V {
	delete(m, k)
	return m
}

// appendUnique drops candidates made identical by overrides.
func appendUnique(items []Resources, r Resources) []Resources {
	for _, it := range items {
		a, b := it, r
		a.Fields, b.Fields = nil, nil
		if reflect.DeepEqual(a, b) {
			return items
		}
	}
	return append(items, r)
}

// resourceEdit validates the resource flags once and returns a function
// applying them to one candidate.
func (p *Pipeline) resourceEdit(o Overrides) (func(*Resources) diag.Diagnostics, diag.Diagnostics) {
	var ds diag.Diagnostics
	var edits []func(*Resources) diag.Diagnostics
	mark := func(r *Resources, key, flag string) {
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		r.Fields[key] = flag
	}
	if o.Infra != "" {
		inf, err := ParseInfra(o.Infra)
		if err != nil {
			ds = append(ds, flagValueErr("--infra", err))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.Infra = inf; mark(r, "infra", "--infra"); return nil })
	}
	if o.CPUs != "" {
		q, err := ParseCPUs(o.CPUs)
		if err != nil {
			ds = append(ds, flagValueErr("--cpus", err))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.CPUs = q; mark(r, "cpus", "--cpus"); return nil })
	}
	if o.Memory != "" {
		q, err := ParseMemory(o.Memory)
		if err != nil {
			ds = append(ds, flagValueErr("--memory", err))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.Memory = q; mark(r, "memory", "--memory"); return nil })
	}
	if o.InstanceType != "" {
		it := o.InstanceType
		if strings.EqualFold(it, "none") {
			it = ""
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.InstanceType = it; mark(r, "instance_type", "-t"); return nil })
	}
	if o.DiskSize != "" {
		n, err := ParseDiskSize(o.DiskSize)
		if err != nil {
			ds = append(ds, flagValueErr("--disk-size", err))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.DiskSizeGB = n; mark(r, "disk_size", "--disk-size"); return nil })
	}
	if o.DiskTier != "" {
		t := strings.ToLower(o.DiskTier)
		if t == "none" {
			t = ""
		} else if !contains(diskTiers, t) {
			ds = append(ds, flagErr("--disk-tier", "Invalid disk_tier", "Invalid disk_tier '%s'. Disk tier must be one of low, medium, high, ultra, best (or none).", o.DiskTier))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.DiskTier = t; mark(r, "disk_tier", "--disk-tier"); return nil })
	}
	if o.ImageID != "" {
		img := &ImageID{Default: o.ImageID}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.ImageID = img; mark(r, "image_id", "--image-id"); return nil })
	}
	if o.UseSpot != nil {
		v := *o.UseSpot
		edits = append(edits, func(r *Resources) diag.Diagnostics {
			r.UseSpot, r.UseSpotSet = v, true
			mark(r, "use_spot", "--use-spot")
			return nil
		})
	}
	if len(o.Ports) > 0 {
		ports, err := ParsePorts(o.Ports)
		if err != nil {
			ds = append(ds, flagValueErr("--ports", err))
		}
		edits = append(edits, func(r *Resources) diag.Diagnostics { r.Ports = ports; mark(r, "ports", "--ports"); return nil })
	}
	if o.GPUs != "" {
		edit, d := p.gpuEdit(o.GPUs)
		ds = append(ds, d...)
		edits = append(edits, edit)
	}
	if len(edits) == 0 || ds.HasErrors() {
		return nil, ds
	}
	return func(r *Resources) diag.Diagnostics {
		var out diag.Diagnostics
		for _, e := range edits {
			out = append(out, e(r)...)
		}
		return out
	}, ds
}

// gpuEdit parses --gpus ("none" removes accelerators).
func (p *Pipeline) gpuEdit(s string) (func(*Resources) diag.Diagnostics, diag.Diagnostics) {
	if strings.EqualFold(s, "none") {
		return func(r *Resources) diag.Diagnostics {
			r.Accelerator, r.AcceleratorArgs = nil, nil
			if r.Fields == nil {
				r.Fields = map[string]string{}
			}
			r.Fields["accelerators"] = "--gpus"
			return nil
		}, nil
	}
	name, count, err := ParseAcceleratorString(s)
	if err != nil {
		return nil, diag.Diagnostics{flagValueErr("--gpus", err)}
	}
	return func(r *Resources) diag.Diagnostics {
		pr := &parser{opts: p.opts, knownAccel: knownAccelMap(p.opts.Accelerators)}
		canon, ok := pr.canonicalAccel(nil, "--gpus", name, r.Infra.Cloud, false)
		if !ok {
			for i := range pr.diags {
				pr.diags[i].Subject = nil
			}
			return pr.diags
		}
		if r.Accelerator == nil || r.Accelerator.Name != canon {
			r.AcceleratorArgs = nil
		}
		r.Accelerator = &Accelerator{Name: canon, Count: count}
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		r.Fields["accelerators"] = "--gpus"
		if IsTPU(canon) {
			pr.tpuRules(r, accelChoice{name: canon, count: count, field: "--gpus"}, r.AcceleratorArgs != nil)
			for i := range pr.diags {
				pr.diags[i].Subject = nil
			}
			return pr.diags
		}
		return nil
	}, nil
}

// collectEnvs reads env files then K[=V] flags, later values winning.
func collectEnvs(files, flags []string, flag string, getenv func(string) string) ([]EnvVar, diag.Diagnostics) {
	var out []EnvVar
	var ds diag.Diagnostics
	for _, f := range files {
		vars, err := readEnvFile(f)
		if err != nil {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Cannot read env file", Detail: err.Error(),
				Subject: &diag.Range{Filename: f}, Field: "--env-file"})
			continue
		}
		out = setEnvs(out, vars)
	}
	for _, kv := range flags {
		k, v, hasValue := strings.Cut(kv, "=")
		if !envKeyRE.MatchString(k) {
			ds = append(ds, flagErr(flag, "Invalid variable name", "%q is not a valid variable name: it must match ^[a-zA-Z_][a-zA-Z0-9_]*$ (use %s NAME=value).", k, flag))
			continue
		}
		if !hasValue {
			v = getenv(k)
			if v == "" {
				ds = append(ds, flagErr(flag, "Variable not set locally", "%s %s copies the local value, but %s is not set in the local environment. Use %s %s=value.", flag, k, k, flag, k))
				continue
			}
		}
		val := v
		out = setEnvs(out, []EnvVar{{Key: k, Value: &val}})
	}
	return out, ds
}

// setEnvs overrides or appends values, keeping the YAML order.
func setEnvs(list, vals []EnvVar) []EnvVar {
	for _, v := range vals {
		found := false
		for i := range list {
			if list[i].Key == v.Key {
				list[i].Value = v.Value
				found = true
			}
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

// EnvFileAssignments reads a dotenv file as K=V assignments, in order: an
// env file resolved on this machine for a controller elsewhere (the
// assignments go before the --env flags, which win, as in ApplyOverrides).
func EnvFileAssignments(path string) ([]string, error) {
	vars, err := readEnvFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		val := ""
		if v.Value != nil {
			val = *v.Value
		}
		out = append(out, v.Key+"="+val)
	}
	return out, nil
}

// readEnvFile reads a dotenv file: KEY=VALUE lines, optional "export ",
// # comments, and single or double quotes around values.
func readEnvFile(path string) ([]EnvVar, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []EnvVar
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		if !ok || !envKeyRE.MatchString(k) {
			return nil, fmt.Errorf("%s line %d: expected KEY=VALUE", path, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			if v[0] == '"' {
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				} else {
					v = v[1 : len(v)-1]
				}
			} else {
				v = v[1 : len(v)-1]
			}
		}
		val := v
		out = append(out, EnvVar{Key: k, Value: &val})
	}
	return out, sc.Err()
}
