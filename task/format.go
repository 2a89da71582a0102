package task

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces secret values wherever a task is printed.
const Redacted = "<redacted>"

// String renders a candidate compactly: "aws/us-east-1, A100:8, cpus=8+, spot".
func (r Resources) String() string {
	parts := []string{r.Infra.String()}
	if r.Accelerator != nil {
		parts = append(parts, r.Accelerator.String())
	}
	if r.InstanceType != "" {
		parts = append(parts, r.InstanceType)
	}
	if r.CPUs != nil {
		parts = append(parts, "cpus="+r.CPUs.String())
	}
	if r.Memory != nil {
		parts = append(parts, "mem="+r.Memory.String())
	}
	if r.UseSpot {
		parts = append(parts, "spot")
	}
	if r.DiskSizeGB != DefaultDiskSizeGB && r.DiskSizeGB != 0 {
		parts = append(parts, fmt.Sprintf("disk=%dGB", r.DiskSizeGB))
	}
	if len(r.Ports) > 0 {
		var ps []string
		for _, p := range r.Ports {
			ps = append(ps, p.String())
		}
		parts = append(parts, "ports="+strings.Join(ps, ","))
	}
	return strings.Join(parts, ", ")
}

// String renders "A100:8" (fractional counts as written).
func (a Accelerator) String() string {
	return a.Name + ":" + strconv.FormatFloat(a.Count, 'f', -1, 64)
}

// String renders a secret-safe summary of the task: env values are shown,
// secret values never are.
func (t *Task) String() string {
	var b strings.Builder
	name := t.Name
	if name == "" {
		name = "(unnamed)"
	}
	fmt.Fprintf(&b, "task %s: %d node(s)", name, t.NumNodes)
	sep := " | "
	if t.Resources.Ordered {
		sep = " > "
	}
	var rs []string
	for _, r := range t.Resources.Items {
		rs = append(rs, "{"+r.String()+"}")
	}
	fmt.Fprintf(&b, ", resources %s", strings.Join(rs, sep))
	if len(t.Envs) > 0 {
		var es []string
		for _, e := range t.Envs {
			v := "null"
			if e.Value != nil {
				v = strconv.Quote(*e.Value)
			}
			es = append(es, e.Key+"="+v)
		}
		fmt.Fprintf(&b, ", envs [%s]", strings.Join(es, " "))
	}
	if len(t.Secrets) > 0 {
		var ks []string
		for _, e := range t.Secrets {
			ks = append(ks, e.Key+"="+Redacted)
		}
		sort.Strings(ks)
		fmt.Fprintf(&b, ", secrets [%s]", strings.Join(ks, " "))
	}
	return b.String()
}

// GoString keeps %#v from dumping secret values through the pointers.
func (t *Task) GoString() string { return "task.Task{" + t.String() + "}" }

// String renders every task of the pipeline, secret-safe.
func (p *Pipeline) String() string {
	var lines []string
	if p.Name != "" {
		lines = append(lines, "pipeline "+p.Name)
	}
	for _, t := range p.Tasks {
		lines = append(lines, t.String())
	}
	return strings.Join(lines, "\n")
}

// SecretValues lists the secret values of every task, for redaction by
// loggers and renderers.
func (p *Pipeline) SecretValues() []string {
	var out []string
	for _, t := range p.Tasks {
		for _, s := range t.Secrets {
			if s.Value != nil && *s.Value != "" {
				out = append(out, *s.Value)
			}
		}
	}
	return out
}
