package task

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

// scriptFields hold bash, where "{{" is legitimate (docker --format, ...).
var scriptFields = map[string]bool{"run": true, "setup": true, "event_callback": true}

type templateHit struct {
	node  *yaml.Node
	field string
}

// templateMarker finds the first Jinja marker ("{{" or "{%") in raw data.
func templateMarker(data []byte) (line, col int) {
	i := bytes.Index(data, []byte("{{"))
	if j := bytes.Index(data, []byte("{%")); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return 0, 0
	}
	line = 1 + bytes.Count(data[:i], []byte("\n"))
	col = i - bytes.LastIndexByte(data[:i], '\n')
	return line, col
}

// findTemplate looks for Jinja placeholders outside scripts: a string with
// "{{ ... }}", or a mapping key that is itself a mapping (what "{{ x }}"
// parses to when unquoted).
func findTemplate(n *yaml.Node, field string) *templateHit {
	return findTemplateDepth(n, field, 0)
}

func findTemplateDepth(n *yaml.Node, field string, depth int) *templateHit {
	if n == nil || depth > maxDepth {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if i := strings.Index(n.Value, "{{"); i >= 0 && strings.Contains(n.Value[i:], "}}") {
			return &templateHit{n, field}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.MappingNode || k.Kind == yaml.SequenceNode {
				return &templateHit{n, field}
			}
			f := joinPath(field, k.Value)
			if depth == 0 && scriptFields[k.Value] {
				continue
			}
			if h := findTemplateDepth(k, f, depth+1); h != nil {
				return h
			}
			if h := findTemplateDepth(v, f, depth+1); h != nil {
				return h
			}
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			if h := findTemplateDepth(e, fmt.Sprintf("%s[%d]", field, i), depth+1); h != nil {
				return h
			}
		}
	}
	return nil
}

func templateDiag(file string, n *yaml.Node, field string) diag.Diagnostic {
	p := &parser{file: file}
	return diag.Diagnostic{Severity: diag.Error, Summary: "Templated task file, render it first",
		Detail: "This file contains Jinja-style placeholders (\"{{ ... }}\" or \"{% ... %}\"), which skyplan does not evaluate. " +
			"Render the template (e.g. with jinja2 or your launcher) and pass the rendered YAML.",
		Subject: p.rangeOf(n), Field: field}
}
