package task

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

// LoadOptions configure parsing.
type LoadOptions struct {
	// Accelerators are the known canonical accelerator names (from the
	// catalog). nil accepts every name as written.
	Accelerators []string
	// CheckLocalPaths requires workdir and local file_mounts sources to
	// exist (commands that upload them set it).
	CheckLocalPaths bool
}

// taskFields are the top-level keys of a task document.
var taskFields = []string{"name", "workdir", "num_nodes", "resources", "setup", "run", "envs", "secrets",
	"file_mounts", "config", "service", "pool", "volumes", "inputs", "outputs", "event_callback",
	"depends_on", "api_server_access"}

var headerFields = []string{"name", "execution", "primary_tasks", "termination_delay"}

var taskNameRE = regexp.MustCompile(`^[a-zA-Z0-9]+(?:[._-]{1,2}[a-zA-Z0-9]+)*$`)

// Load reads a task or pipeline file. Call ApplyOverrides (even with no
// overrides) before use: it fills envs and reports envs left null.
func Load(path string, opts LoadOptions) (*Pipeline, diag.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Cannot read task file",
			Detail: err.Error() + ".", Subject: &diag.Range{Filename: path}}}
	}
	return Parse(path, data, opts)
}

// Parse reads YAML data (one task, or a multi-document chain pipeline with
// an optional header document). filename is used in diagnostics.
func Parse(filename string, data []byte, opts LoadOptions) (*Pipeline, diag.Diagnostics) {
	pl := &Pipeline{File: filename, opts: opts}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, diag.Diagnostics{syntaxError(filename, data, err)}
		}
		docs = append(docs, &doc)
	}
	var ds diag.Diagnostics
	var bodies []*yaml.Node
	var idx []int
	for i, d := range docs {
		n := d
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		if isNull(n) || n.Kind == yaml.DocumentNode {
			continue
		}
		if t := findTemplate(n, ""); t != nil {
			return nil, diag.Diagnostics{templateDiag(filename, t.node, t.field)}
		}
		if n = deref(n); n == nil || n.Kind != yaml.MappingNode {
			p := &parser{file: filename}
			p.errorf(n, "", "Task document is not a mapping",
				"Each YAML document must be a mapping of task fields (name, resources, run, ...), got %s.", kindName(n))
			ds = append(ds, p.diags...)
			continue
		}
		bodies, idx = append(bodies, n), append(idx, i)
	}
	if ds.HasErrors() {
		return nil, ds
	}
	if len(bodies) > 1 && isHeader(bodies[0]) {
		ds = append(ds, parseHeader(pl, filename, bodies[0])...)
		bodies, idx = bodies[1:], idx[1:]
	}
	if len(bodies) == 0 {
		// SkyPilot takes an empty file as a task with every default, which
		// then runs nothing: almost always a wrong or unsaved file.
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: "Empty task file",
			Subject: &diag.Range{Filename: filename, Start: diag.Pos{Line: 1, Column: 1}, End: diag.Pos{Line: 1, Column: 1}},
			Detail:  fmt.Sprintf("%s has no task in it (only blank lines, comments or empty documents). A task needs at least a `run:` command, e.g.\n\n  resources:\n    cpus: 2\n  run: echo hello\n\nCheck that this is the file you meant and that it is saved.", filename)}}
	}
	for i, b := range bodies {
		p := &parser{file: filename, opts: opts, knownAccel: knownAccelMap(opts.Accelerators)}
		t := p.parseTask(b)
		t.Source = Source{File: filename, Doc: idx[i], Positions: p.pos}
		ds = append(ds, p.diags...)
		ds = append(ds, t.finalize(opts.CheckLocalPaths)...)
		pl.Tasks = append(pl.Tasks, t)
	}
	ds = append(ds, checkDependsOn(pl)...)
	if ds.HasErrors() {
		return pl, ds
	}
	return pl, ds
}

// isHeader: a first document holding only the pipeline's name/execution.
func isHeader(n *yaml.Node) bool {
	hasName := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := deref(n.Content[i])
		if k == nil || !contains(headerFields, k.Value) {
			return false
		}
		hasName = hasName || k.Value == "name"
	}
	return hasName
}

func parseHeader(pl *Pipeline, file string, n *yaml.Node) diag.Diagnostics {
	p := &parser{file: file}
	pairs, _ := p.mapping(n, "", "the pipeline header", headerFields)
	for _, pr := range pairs {
		switch pr.name {
		case "name":
			pl.Name, _ = p.str(pr.val, pr.path)
		case "execution":
			pl.Execution, _ = p.enum(pr.val, pr.path, []string{"serial", "parallel"})
		default:
			if pl.Header == nil {
				pl.Header = map[string]any{}
			}
			pl.Header[pr.name] = p.toAny(pr.val, pr.path, 0)
		}
	}
	return p.diags
}

// parseTask reads one task document.
func (p *parser) parseTask(n *yaml.Node) *Task {
	t := &Task{NumNodes: 1, raw: &rawSubst{}}
	pairs, _ := p.mapping(n, "", "the task", taskFields)
	var resNode *yaml.Node
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		v := deref(pr.val)
		if isNull(v) && pr.name != "resources" {
			continue // SkyPilot drops null top-level keys
		}
		switch pr.name {
		case "name":
			if s, ok := p.str(v, pr.path); ok {
				if !taskNameRE.MatchString(s) {
					p.errorf(v, pr.path, "Invalid task name",
						"Invalid task name %s. Valid name: ASCII characters and may contain lowercase and uppercase letters, digits, underscores, periods, and dashes. Must start and end with alphanumeric characters. No triple dashes or underscores.", s)
				}
				t.Name = s
			}
		case "workdir":
			t.raw.workdir = p.parseWorkdir(v)
		case "num_nodes":
			t.NumNodes = p.numNodes(v, pr.path)
		case "resources":
			resNode = pr.val
		case "setup":
			t.Setup = p.script(v, pr.path, true)
		case "run":
			t.Run = p.script(v, pr.path, false)
		case "event_callback":
			t.EventCallback, _ = p.str(v, pr.path)
		case "envs":
			t.Envs = p.parseEnvs(v, "envs")
		case "secrets":
			t.Secrets = p.parseEnvs(v, "secrets")
		case "file_mounts":
			t.raw.fileMounts = p.parseFileMounts(v)
		case "config", "pool":
			m, _ := p.toAny(v, pr.path, 0).(map[string]any)
			if v.Kind != yaml.MappingNode {
				p.typeError(v, pr.path, "a mapping")
			}
			if pr.name == "config" {
				t.Config = m
			} else {
				t.Pool = m
			}
		case "service":
			if v.Kind != yaml.MappingNode {
				p.typeError(v, pr.path, "a mapping")
				continue
			}
			t.raw.service = p.parseService(v)
		case "volumes":
			if v.Kind != yaml.MappingNode {
				p.typeError(v, pr.path, "a mapping")
				continue
			}
			t.raw.volumes = p.toAny(v, pr.path, 0)
		case "inputs":
			t.Inputs = p.dataSize(v, pr.path)
		case "outputs":
			t.Outputs = p.dataSize(v, pr.path)
		case "depends_on":
			t.DependsOn = p.stringList(v, pr.path)
		case "api_server_access":
			// SkyPilot's API-server credential injection: there is no API
			// server here, so a valid value has no effect.
			p.boolean(v, pr.path)
		}
	}
	t.Resources = p.parseResources(resNode, "resources")
	if t.raw.service != nil && t.Pool != nil {
		p.errorf(p.nodeAt("pool"), "pool", "Cannot set both service and pool", "Cannot set both service and pool in the same task.")
	}
	return t
}

func (p *parser) numNodes(n *yaml.Node, field string) int {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		v, err := strconv.Atoi(n.Value)
		if err == nil && v > 0 {
			return v
		}
	}
	p.errorf(n, field, "Invalid num_nodes", "num_nodes should be a positive int. Got: %s", n.Value)
	return 1
}

// script reads setup/run: a string, or (setup only) a list joined by
// newlines.
func (p *parser) script(n *yaml.Node, field string, allowList bool) string {
	if allowList && n.Kind == yaml.SequenceNode {
		var lines []string
		for i, e := range n.Content {
			if s, ok := p.str(e, fmt.Sprintf("%s[%d]", field, i)); ok {
				lines = append(lines, s)
			}
		}
		return strings.Join(lines, "\n")
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.errorf(n, field, "Wrong type for "+field, "%s must be a shell script (str). Got %s.", field, kindName(n))
		return ""
	}
	return n.Value
}

// dataSize reads inputs/outputs: exactly one {URI: size_GB}.
func (p *parser) dataSize(n *yaml.Node, field string) map[string]float64 {
	pairs, ok := p.mapping(n, field, field, nil)
	if !ok {
		return nil
	}
	if len(pairs) != 1 {
		p.errorf(n, field, "Invalid "+field, "%s must have exactly one entry {URI: size_GB}, got %d.", field, len(pairs))
		return nil
	}
	pr := pairs[0]
	if f, ok := p.positiveNumber(pr.val, pr.path); ok {
		return map[string]float64{pr.name: f}
	}
	return nil
}

func (p *parser) stringList(n *yaml.Node, field string) []string {
	if n.Kind == yaml.ScalarNode {
		if s, ok := p.str(n, field); ok {
			p.record(field+"[0]", n)
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.typeError(n, field, "a list of task names")
		return nil
	}
	var out []string
	for i, e := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		p.record(f, e)
		if s, ok := p.str(e, f); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkDependsOn requires depends_on to name other tasks of the file.
func checkDependsOn(pl *Pipeline) diag.Diagnostics {
	var names []string
	for _, t := range pl.Tasks {
		if t.Name != "" {
			names = append(names, t.Name)
		}
	}
	var ds diag.Diagnostics
	for _, t := range pl.Tasks {
		for i, d := range t.DependsOn {
			f := fmt.Sprintf("depends_on[%d]", i)
			r := t.Source.Range(f)
			if r.Start.Line == 0 {
				r = t.Source.Range("depends_on")
			}
			switch {
			case d == t.Name:
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Task depends on itself",
					Detail: fmt.Sprintf("Task %q lists itself in depends_on.", d), Subject: r, Field: f})
			case !contains(names, d):
				detail := fmt.Sprintf("No task named %q in this file.", d)
				if m := didYouMean(d, names); m != "" {
					detail += " " + m
				}
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Unknown task in depends_on",
					Detail: detail, Subject: r, Field: f})
			}
		}
	}
	return ds
}
