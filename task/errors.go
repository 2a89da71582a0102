package task

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

// maxDepth bounds recursion through nested YAML values (and alias chains),
// so hostile input cannot exhaust the stack.
const maxDepth = 64

// parser collects diagnostics and field positions for one document.
type parser struct {
	file  string
	opts  LoadOptions
	diags diag.Diagnostics
	pos   map[string]diag.Range
	// knownAccel maps lower-case accelerator names to canonical ones.
	knownAccel map[string]string
	// expanded counts values copied by toAny; aliases can make a small
	// file expand exponentially ("billion laughs"), so it is bounded.
	expanded     int
	tooExpansive bool
}

// maxExpanded bounds the values a document may expand to through aliases.
const maxExpanded = 200000

// rangeOf is the source range of a node (start == end for non-scalars).
func (p *parser) rangeOf(n *yaml.Node) *diag.Range {
	r := &diag.Range{Filename: p.file}
	if n == nil || n.Line == 0 {
		return r
	}
	r.Start = diag.Pos{Line: n.Line, Column: n.Column}
	r.End = r.Start
	if n.Kind == yaml.ScalarNode && !strings.Contains(n.Value, "\n") && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		w := utf8.RuneCountInString(n.Value)
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			w += 2
		}
		r.End.Column += w
	}
	return r
}

// record remembers where a field path's value is.
func (p *parser) record(field string, n *yaml.Node) {
	if p.pos == nil {
		p.pos = map[string]diag.Range{}
	}
	p.pos[field] = *p.rangeOf(n)
}

// errorf adds an error located at n for field.
func (p *parser) errorf(n *yaml.Node, field, summary, detailFormat string, args ...any) {
	p.diags = append(p.diags, diag.Diagnostic{
		Severity: diag.Error,
		Summary:  summary,
		Detail:   fmt.Sprintf(detailFormat, args...),
		Subject:  p.rangeOf(n),
		Field:    field,
	})
}

// warnf adds a warning located at n for field.
func (p *parser) warnf(n *yaml.Node, field, summary, detailFormat string, args ...any) {
	p.diags = append(p.diags, diag.Diagnostic{
		Severity: diag.Warning,
		Summary:  summary,
		Detail:   fmt.Sprintf(detailFormat, args...),
		Subject:  p.rangeOf(n),
		Field:    field,
	})
}

// kindName names a node's type the way users write it.
func kindName(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return "a scalar"
	}
	return "an unsupported YAML value"
}

// typeError reports a value of the wrong type.
func (p *parser) typeError(n *yaml.Node, field, want string) {
	p.errorf(n, field, fmt.Sprintf("Wrong type for %s", lastSegment(field)),
		"Expected %s, got %s.", want, kindName(n))
}

func lastSegment(field string) string {
	if i := strings.LastIndex(field, "."); i >= 0 && i+1 < len(field) {
		return field[i+1:]
	}
	return field
}

// deref follows alias nodes (bounded, aliases can chain).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// pair is one key/value of a mapping, with the field path of the value.
type pair struct {
	key, val *yaml.Node
	name     string
	path     string
}

// mapping checks n is a mapping, expands "<<" merge keys, reports
// duplicate and unknown keys (with a suggestion) and returns the pairs of
// known keys in source order. what names the object in messages ("task",
// "resources"). known == nil accepts any key.
func (p *parser) mapping(n *yaml.Node, path, what string, known []string) ([]pair, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.typeError(n, path, "a mapping")
		return nil, false
	}
	var out []pair
	seen := map[string]bool{}
	var walk func(m *yaml.Node, depth int)
	walk = func(m *yaml.Node, depth int) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if p.expanded++; p.expanded > maxExpanded {
				if !p.tooExpansive {
					p.tooExpansive = true
					p.errorf(m, path, "Value too large", "The mapping expands to more than %d keys (through YAML merge keys?). Write it out plainly.", maxExpanded)
				}
				return
			}
			k, v := deref(m.Content[i]), m.Content[i+1]
			if k == nil {
				continue
			}
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				mv := deref(v)
				if depth < 8 && mv != nil && mv.Kind == yaml.MappingNode {
					walk(mv, depth+1)
				} else if depth < 8 && mv != nil && mv.Kind == yaml.SequenceNode {
					for _, e := range mv.Content {
						if e = deref(e); e != nil && e.Kind == yaml.MappingNode {
							walk(e, depth+1)
						}
					}
				}
				continue
			}
			if k.Kind != yaml.ScalarNode {
				p.errorf(k, path, fmt.Sprintf("Invalid key in %s", what),
					"Keys must be plain strings, got %s. A \"{{ ... }}\" key usually means a templated file: render it first.", kindName(k))
				continue
			}
			name := k.Value
			fp := joinPath(path, name)
			if seen[name] {
				if depth == 0 {
					p.errorf(k, fp, fmt.Sprintf("Duplicate field %q", name), "The field %q is given more than once in %s. Keep one.", name, what)
				}
				continue
			}
			seen[name] = true
			if known != nil && !contains(known, name) {
				detail := didYouMean(name, known)
				if detail == "" {
					detail = "Found unsupported field " + quote(name) + "."
				}
				detail += " Valid fields of " + what + ": " + strings.Join(known, ", ") + "."
				p.errorf(k, fp, fmt.Sprintf("Unknown field %q", name), "%s", detail)
				continue
			}
			out = append(out, pair{key: k, val: v, name: name, path: fp})
		}
	}
	walk(n, 0)
	return out, true
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// scalarString returns a scalar's text when it is a string.
func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		p.typeError(n, field, "a string")
		return "", false
	}
	return n.Value, true
}

// scalarText returns any scalar's text (numbers and booleans as written),
// for fields SkyPilot coerces with str().
func (p *parser) scalarText(n *yaml.Node, field, want string) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.typeError(n, field, want)
		return "", false
	}
	return n.Value, true
}

func (p *parser) boolean(n *yaml.Node, field string) (bool, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.typeError(n, field, "true or false")
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.typeError(n, field, "true or false")
		return false, false
	}
	return b, true
}

// toAny converts a YAML subtree to plain Go values (map[string]any, []any,
// string, int, float64, bool, nil) for fields kept raw.
func (p *parser) toAny(n *yaml.Node, field string, depth int) any {
	n = deref(n)
	p.expanded++
	if p.expanded > maxExpanded {
		if !p.tooExpansive {
			p.tooExpansive = true
			p.errorf(n, field, "Value too large", "The value expands to more than %d elements (through YAML aliases?). Write it out plainly.", maxExpanded)
		}
		return nil
	}
	if n == nil || depth > maxDepth {
		if depth > maxDepth {
			p.errorf(n, field, "Value nested too deeply", "Nesting is limited to %d levels.", maxDepth)
		}
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		pairs, _ := p.mapping(n, field, field, nil)
		m := make(map[string]any, len(pairs))
		for _, pr := range pairs {
			m[pr.name] = p.toAny(pr.val, pr.path, depth+1)
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			l = append(l, p.toAny(e, fmt.Sprintf("%s[%d]", field, i), depth+1))
		}
		return l
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value
		}
		return v
	}
	return nil
}
