package pipeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
)

// buildGraph turns a pipeline into edges with sizes and bucket inputs.
//
// Shape: when no task declares depends_on, the tasks form a chain in file
// order (SkyPilot's multi-document pipelines). Otherwise the declared
// depends_on edges are the whole graph; a task without depends_on is a root.
//
// Sizes: an edge carries the producer's outputs that the consumer reads (its
// inputs with the same URI), or all the producer's outputs when the consumer
// names none of them. A producer that declares no outputs is charged the
// consumer's inputs that no other parent accounts for, split evenly among
// such producers. Bucket inputs (s3://, gs://, Azure blob URLs) that no parent
// produces are charged from the bucket's cloud. Egress follows SkyPilot: only
// data crossing clouds is charged, at the sending cloud's rate, whatever
// cloud the output URI names; moving between regions of one cloud is free in
// this model (AWS and GCP do bill a few cents per GB there).
func buildGraph(p *task.Pipeline) (*graph, diag.Diagnostics) {
	var ds diag.Diagnostics
	n := len(p.Tasks)
	g := &graph{names: make([]string, n), inputs: make([][]BucketInput, n)}
	byName := map[string]int{}
	dag := false
	for i, t := range p.Tasks {
		g.names[i] = t.Name
		if g.names[i] == "" {
			g.names[i] = fmt.Sprintf("task-%d", i+1)
		}
		if len(t.DependsOn) > 0 {
			dag = true
		}
	}
	for i, t := range p.Tasks {
		if j, dup := byName[g.names[i]]; dup && dag {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error,
				Summary: fmt.Sprintf("Duplicate task name %q", g.names[i]),
				Detail:  fmt.Sprintf("Tasks %d and %d are both named %q, so depends_on cannot tell them apart; give each task a unique name.", j+1, i+1, g.names[i]),
				Subject: t.Source.Range("name"), Field: "name"})
			continue
		}
		byName[g.names[i]] = i
	}
	parents := make([][]int, n)
	if !dag {
		for i := 1; i < n; i++ {
			parents[i] = []int{i - 1}
		}
	}
	for i, t := range p.Tasks {
		for _, dep := range t.DependsOn {
			j, ok := byName[dep]
			switch {
			case !ok:
				ds = append(ds, diag.Diagnostic{Severity: diag.Error,
					Summary: fmt.Sprintf("Unknown task %q in depends_on", dep),
					Detail:  fmt.Sprintf("Task %q depends on %q, which is not a task of this pipeline. Known tasks: %s.", g.names[i], dep, strings.Join(sortedNames(byName), ", ")),
					Subject: t.Source.Range("depends_on"), Field: "depends_on"})
			case j == i:
				ds = append(ds, diag.Diagnostic{Severity: diag.Error,
					Summary: fmt.Sprintf("Task %q depends on itself", dep),
					Detail:  "Remove the task's own name from its depends_on list.",
					Subject: t.Source.Range("depends_on"), Field: "depends_on"})
			case !contains(parents[i], j):
				parents[i] = append(parents[i], j)
			}
		}
	}
	if ds.HasErrors() {
		return nil, ds
	}
	if cyc := findCycle(parents); cyc != nil {
		var names []string
		for _, v := range cyc {
			names = append(names, g.names[v])
		}
		names = append(names, g.names[cyc[0]])
		t := p.Tasks[cyc[0]]
		ds = append(ds, diag.Diagnostic{Severity: diag.Error,
			Summary: "Task dependencies form a cycle",
			Detail:  fmt.Sprintf("%s. A pipeline must be acyclic; remove one of these depends_on entries.", strings.Join(names, " depends on ")),
			Subject: t.Source.Range("depends_on"), Field: "depends_on"})
		return nil, ds
	}
	for v, t := range p.Tasks {
		g.addEdges(p.Tasks, v, t, parents[v])
	}
	return g, ds
}

func (g *graph) addEdges(tasks []*task.Task, v int, t *task.Task, parents []int) {
	claimed := map[string]bool{} // input URIs some parent produces
	var silent []int             // parents without declared outputs
	for _, u := range parents {
		outs := tasks[u].Outputs
		if len(outs) == 0 {
			silent = append(silent, u)
			continue
		}
		gb, matched := 0.0, false
		for _, uri := range sortedKeys(outs) {
			if _, ok := lookupURI(t.Inputs, uri); ok {
				gb += outs[uri]
				matched = true
				claimed[normURI(uri)] = true
			}
		}
		if !matched {
			gb = sum(outs)
		}
		g.edges = append(g.edges, Edge{From: u, To: v, GB: gb})
	}
	var rest float64
	for _, uri := range sortedKeys(t.Inputs) {
		if claimed[normURI(uri)] {
			continue
		}
		if len(silent) > 0 {
			rest += t.Inputs[uri]
			continue
		}
		if c := BucketCloud(uri); c != "" {
			g.inputs[v] = append(g.inputs[v], BucketInput{URI: uri, Cloud: c, GB: t.Inputs[uri]})
		}
	}
	for _, u := range silent {
		g.edges = append(g.edges, Edge{From: u, To: v, GB: rest / float64(len(silent))})
	}
}

// normURI lets "gs://b/data/" and "gs://b/data" name the same data.
func normURI(s string) string { return strings.TrimRight(s, "/") }

func lookupURI(m map[string]float64, uri string) (float64, bool) {
	for k, v := range m {
		if normURI(k) == normURI(uri) {
			return v, true
		}
	}
	return 0, false
}

// sum adds in key order so totals are identical from run to run.
func sum(m map[string]float64) float64 {
	s := 0.0
	for _, k := range sortedKeys(m) {
		s += m[k]
	}
	return s
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedNames(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// findCycle returns the tasks of one dependency cycle, or nil.
func findCycle(parents [][]int) []int {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(parents))
	var stack []int
	var cycle []int
	var visit func(v int) bool
	visit = func(v int) bool {
		color[v] = grey
		stack = append(stack, v)
		for _, u := range parents[v] {
			if color[u] == grey {
				for i := len(stack) - 1; i >= 0; i-- {
					cycle = append([]int{stack[i]}, cycle...)
					if stack[i] == u {
						break
					}
				}
				return true
			}
			if color[u] == white && visit(u) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		color[v] = black
		return false
	}
	for v := range parents {
		if color[v] == white && visit(v) {
			return cycle
		}
	}
	return nil
}
