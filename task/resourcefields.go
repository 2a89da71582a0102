package task

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var diskTiers = []string{"low", "medium", "high", "ultra", "best"}
var networkTiers = []string{"standard", "best"}

// valueError reports a parser error at n, keeping a ValueError's summary.
func (p *parser) valueError(n *yaml.Node, field string, err error) {
	var ve *ValueError
	if errors.As(err, &ve) {
		p.errorf(n, field, ve.Summary, "%s", ve.Detail)
		return
	}
	p.errorf(n, field, "Invalid "+lastSegment(field), "%s", err.Error())
}

// numberText returns the text of an int/float/string scalar.
func (p *parser) numberText(n *yaml.Node, field, want string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.typeError(n, field, want)
		return "", false
	}
	switch n.ShortTag() {
	case "!!int", "!!float", "!!str":
		return n.Value, true
	}
	p.typeError(n, field, want)
	return "", false
}

// positiveNumber parses a number > 0.
func (p *parser) positiveNumber(n *yaml.Node, field string) (float64, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		p.typeError(n, field, "a positive number")
		return 0, false
	}
	v, ok := parseDecimal(n.Value)
	if !ok || v <= 0 {
		p.errorf(n, field, "Invalid "+lastSegment(field), "%s must be a positive number, got %s.", lastSegment(field), n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) enum(n *yaml.Node, field string, allowed []string) (string, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return "", false
	}
	l := strings.ToLower(s)
	if !contains(allowed, l) {
		name := lastSegment(field)
		detail := fmt.Sprintf("Invalid %s '%s'. %s must be one of %s.", name, s, name, strings.Join(allowed, ", "))
		if m := didYouMean(l, allowed); m != "" {
			detail += " " + m
		}
		p.errorf(n, field, "Invalid "+name, "%s", detail)
		return "", false
	}
	return l, true
}

// resourceField parses one resources key other than location/accelerators.
func (p *parser) resourceField(r *Resources, pr pair) {
	v := deref(pr.val)
	if isNull(v) {
		return
	}
	switch pr.name {
	case "cpus":
		if s, ok := p.numberText(v, pr.path, "a number or a string like \"8+\""); ok {
			q, err := ParseCPUs(s)
			if err != nil {
				p.valueError(v, pr.path, err)
				return
			}
			r.CPUs = q
		}
	case "memory":
		if s, ok := p.numberText(v, pr.path, "a number or a string like \"32+\", \"32GB\" or \"4x\""); ok {
			q, err := ParseMemory(s)
			if err != nil {
				p.valueError(v, pr.path, err)
				return
			}
			r.Memory = q
		}
	case "instance_type":
		if s, ok := p.str(v, pr.path); ok {
			r.InstanceType = s
		}
	case "use_spot":
		if b, ok := p.boolean(v, pr.path); ok {
			r.UseSpot, r.UseSpotSet = b, true
		}
	case "disk_size":
		if s, ok := p.numberText(v, pr.path, "a size in GB (256) or a string like \"256GB\""); ok {
			n, err := ParseDiskSize(s)
			if err != nil {
				p.valueError(v, pr.path, err)
				return
			}
			r.DiskSizeGB = n
		}
	case "disk_tier":
		if s, ok := p.enum(v, pr.path, diskTiers); ok {
			r.DiskTier = s
		}
	case "network_tier":
		if s, ok := p.enum(v, pr.path, networkTiers); ok {
			r.NetworkTier = s
		}
	case "ports":
		r.Ports = p.ports(v, pr.path)
	case "image_id":
		r.ImageID = p.imageID(v, pr.path)
	case "max_hourly_cost":
		if f, ok := p.positiveNumber(v, pr.path); ok {
			r.MaxHourlyCost = f
		}
	case "autostop":
		r.Autostop = p.autostop(v, pr.path)
	case "job_recovery", "spot_recovery":
		r.JobRecovery = p.jobRecovery(v, pr.path)
	case "local_disk":
		if s, ok := p.scalarText(v, pr.path, "a string like \"nvme:100+\""); ok {
			ld, err := NormalizeLocalDisk(s)
			if err != nil {
				p.valueError(v, pr.path, err)
				return
			}
			r.LocalDisk = ld
		}
	case "time_estimate":
		r.TimeEstimateHrs = p.timeEstimate(v, pr.path)
	case "priority":
		if s, ok := p.numberText(v, pr.path, "an integer between -1000 and 1000"); ok {
			n, err := strconv.Atoi(s)
			if err != nil || n < -1000 || n > 1000 {
				p.errorf(v, pr.path, "Invalid priority", "Priority must be between -1000 and 1000. Found: %s", s)
				return
			}
			r.setExtra(pr.name, n)
		}
	default:
		// priority_class, volumes, ephemeral_storage and SkyPilot's internal
		// fields: kept for commands that need them.
		r.setExtra(pr.name, p.toAny(v, pr.path, 0))
	}
}

func (r *Resources) setExtra(k string, v any) {
	if r.Extra == nil {
		r.Extra = map[string]any{}
	}
	r.Extra[k] = v
}

// ports reads an int, a "from-to" string, or a list of them.
func (p *parser) ports(n *yaml.Node, field string) []PortRange {
	var rs []PortRange
	one := func(e *yaml.Node, f string) {
		s, ok := p.numberText(e, f, "a port (8080) or a range (\"10052-10100\")")
		if !ok {
			return
		}
		r, err := ParsePort(s)
		if err != nil {
			p.valueError(e, f, err)
			return
		}
		rs = append(rs, r)
	}
	if n.Kind == yaml.SequenceNode {
		for i, e := range n.Content {
			one(deref(e), fmt.Sprintf("%s[%d]", field, i))
		}
	} else {
		one(n, field)
	}
	return mergePorts(rs)
}

// imageID reads one image for all regions, or a mapping region → image.
func (p *parser) imageID(n *yaml.Node, field string) *ImageID {
	if n.Kind == yaml.MappingNode {
		pairs, _ := p.mapping(n, field, "image_id", nil)
		img := &ImageID{PerRegion: map[string]string{}}
		for _, pr := range pairs {
			if s, ok := p.str(pr.val, pr.path); ok {
				img.PerRegion[pr.name] = s
			}
		}
		return img
	}
	if s, ok := p.str(n, field); ok {
		if strings.TrimSpace(s) == "" || s == "docker:" {
			p.errorf(n, field, "Invalid image_id", "image_id must name an image, e.g. \"docker:ubuntu:22.04\" or \"ami-0123456789abcdef0\".")
			return nil
		}
		return &ImageID{Default: s}
	}
	return nil
}

var autostopFields = []string{"idle_minutes", "down", "wait_for", "hook", "hook_timeout"}

// autostop reads true/false, minutes, "10h", or a mapping.
func (p *parser) autostop(n *yaml.Node, field string) *Autostop {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool":
		b, _ := p.boolean(n, field)
		return &Autostop{Enabled: b}
	case n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!str"):
		m, err := ParseDuration(n.Value)
		if err != nil {
			p.valueError(n, field, err)
			return nil
		}
		return &Autostop{Enabled: true, IdleMinutes: m}
	case n.Kind == yaml.MappingNode:
		pairs, _ := p.mapping(n, field, "autostop", autostopFields)
		a := &Autostop{Enabled: true}
		for _, pr := range pairs {
			v := deref(pr.val)
			if isNull(v) {
				continue
			}
			switch pr.name {
			case "idle_minutes":
				if s, ok := p.numberText(v, pr.path, "a number of minutes or a duration like \"10h\""); ok {
					m, err := ParseDuration(s)
					if err != nil {
						p.valueError(v, pr.path, err)
						continue
					}
					a.IdleMinutes = m
				}
			case "down":
				a.Down, _ = p.boolean(v, pr.path)
			case "wait_for":
				a.WaitFor, _ = p.enum(v, pr.path, []string{"jobs_and_ssh", "jobs", "none"})
			case "hook":
				a.Hook, _ = p.str(v, pr.path)
			case "hook_timeout":
				s, ok := p.numberText(v, pr.path, "a number of seconds >= 1")
				n, err := strconv.Atoi(s)
				if ok && (err != nil || n < 1) {
					p.errorf(v, pr.path, "Invalid hook_timeout", "hook_timeout must be a whole number of seconds >= 1, got %s.", s)
					continue
				}
				a.HookTimeoutSec = n
			}
		}
		return a
	}
	p.typeError(n, field, "true/false, minutes, a duration like \"10h\", or a mapping")
	return nil
}

// NormalizeLocalDisk turns "nvme", "ssd:200", "100+" into "mode:size[+]"
// (mode defaults to nvme, size to 100+).
func NormalizeLocalDisk(s string) (string, error) {
	bad := valueErr("Invalid local_disk", "local_disk must be \"[nvme|ssd:]<size>[+]\" or a mode (\"nvme\", \"ssd\"). Got: %q.", s)
	t := strings.ToLower(strings.TrimSpace(s))
	mode, size := "nvme", "100+"
	if m, rest, ok := strings.Cut(t, ":"); ok {
		mode, size = m, rest
	} else if t == "nvme" || t == "ssd" {
		mode = t
	} else {
		size = t
	}
	if mode != "nvme" && mode != "ssd" {
		return "", bad
	}
	num := strings.TrimSuffix(size, "+")
	if v, ok := parseDecimal(num); !ok || v <= 0 {
		return "", bad
	}
	return mode + ":" + size, nil
}

// acceleratorArgs reads TPU options; tpuVMSet tells whether tpu_vm was given.
func (p *parser) acceleratorArgs(pr pair) (*AcceleratorArgs, bool) {
	if isNull(pr.val) {
		return nil, false
	}
	pairs, ok := p.mapping(pr.val, pr.path, "accelerator_args", []string{"runtime_version", "tpu_name", "tpu_vm", "gcp_queued_resource"})
	if !ok {
		return nil, false
	}
	a := &AcceleratorArgs{}
	set := false
	for _, f := range pairs {
		p.record(f.path, f.val)
		if isNull(f.val) {
			continue
		}
		switch f.name {
		case "runtime_version":
			a.RuntimeVersion, _ = p.str(f.val, f.path)
		case "tpu_name":
			a.TPUName, _ = p.str(f.val, f.path)
		case "tpu_vm":
			a.TPUVM, set = p.boolean(f.val, f.path)
		case "gcp_queued_resource":
			a.QueuedResource, _ = p.boolean(f.val, f.path)
		}
	}
	return a, set
}

// mergedLabels merges base and any_of item labels (item wins).
func (p *parser) mergedLabels(prs []pair) map[string]string {
	var out map[string]string
	for _, pr := range prs {
		if isNull(pr.val) {
			continue
		}
		pairs, ok := p.mapping(pr.val, pr.path, "labels", nil)
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		for _, l := range pairs {
			if s, ok := p.scalarText(l.val, l.path, "a string"); ok {
				out[l.name] = s
			}
		}
	}
	return out
}

// timeEstimate reads hours, or a mapping accelerator → hours.
func (p *parser) timeEstimate(n *yaml.Node, field string) map[string]float64 {
	if n.Kind == yaml.MappingNode {
		pairs, _ := p.mapping(n, field, "time_estimate", nil)
		m := map[string]float64{}
		for _, pr := range pairs {
			h, ok := p.positiveNumber(pr.val, pr.path)
			if !ok {
				continue
			}
			name, ok := p.canonicalAccel(pr.key, pr.path, pr.name, "", false)
			if ok {
				m[name] = h
			}
		}
		return m
	}
	if h, ok := p.positiveNumber(n, field); ok {
		return map[string]float64{"": h}
	}
	return nil
}
