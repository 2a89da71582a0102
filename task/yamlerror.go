package task

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

var yamlLineRE = regexp.MustCompile(`line (\d+)(?:: column (\d+))?`)

// yamlMessage is a yaml.v3 error without its "yaml: line N:" prefix.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = yamlLineRE.ReplaceAllString(msg, "")
	return strings.TrimLeft(msg, ": ")
}

// syntaxError turns a YAML error into a located diagnostic; templated
// files get their own message.
func syntaxError(file string, data []byte, err error) diag.Diagnostic {
	if line, col := templateMarker(data); line > 0 {
		return templateDiag(file, &yaml.Node{Line: line, Column: col}, "")
	}
	msg := yamlMessage(err)
	reported := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		reported, _ = strconv.Atoi(m[1])
	}
	r := &diag.Range{Filename: file}
	line, col := offendingToken(data, msg, reported)
	if line == 0 && reported > 0 {
		line, col = reported, 1
	}
	if line > 0 {
		r.Start = diag.Pos{Line: line, Column: col}
		r.End = r.Start
	}
	text := lineText(data, line)
	if isTabProblem(msg, text, col) {
		return diag.Diagnostic{Severity: diag.Error, Summary: "Invalid YAML: tab in indentation", Subject: r,
			Detail: "Tabs are not allowed for indentation in YAML (" + msg + "). Indent this line with spaces."}
	}
	hint := "Check indentation and quoting at this point."
	switch {
	case strings.Contains(msg, "expected ',' or '}'"):
		hint = "This `{` is not closed: add the matching `}` (and `,` between entries), or write the mapping in block style."
	case strings.Contains(msg, "expected ',' or ']'"):
		hint = "This `[` is not closed: add the matching `]` (and `,` between items), or write the list in block style."
	case strings.Contains(msg, "mapping values are not allowed"):
		hint = "A `: ` inside a value must be quoted, and a key must start in its mapping's column."
	case strings.Contains(msg, "unexpected end of stream"):
		hint = "A quote opened here is never closed."
	}
	return diag.Diagnostic{Severity: diag.Error, Summary: "Invalid YAML", Subject: r,
		Detail: "The file is not valid YAML: " + msg + ". " + hint}
}

// offendingToken finds where yaml.v3 stops accepting the file. yaml.v3
// reports the line of the construct it was parsing (0-based for parser
// errors, so often one line early, and without a column) and keeps the
// position of the offending token private. The shortest prefix of the
// file that yaml.v3 rejects with the same message ends at that token, so
// the first such line (from the reported one on: the context never
// follows the problem) and then the first such column are its position.
// Unclosed flow collections point at their opening bracket.
func offendingToken(data []byte, msg string, from int) (line, col int) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines) > 2000 {
		return 0, 0
	}
	start := 0
	for i, l := range lines {
		end := start + len(l)
		if i+1 < from || rejects(data[:end]) != msg {
			start = end
			continue
		}
		col = 1 + len(l) - len(bytes.TrimLeft(l, " \t"))
		for c := 1; c <= len(l); c++ {
			if rejects(data[:start+c]) == msg {
				col = c
				break
			}
		}
		for _, open := range []struct{ msg, bracket string }{{"expected ',' or '}'", "{"}, {"expected ',' or ']'", "["}} {
			if strings.Contains(msg, open.msg) {
				if j := strings.LastIndex(string(l[:min(col, len(l))]), open.bracket); j >= 0 {
					col = j + 1
				}
			}
		}
		return i + 1, col
	}
	return 0, 0
}

// rejects returns yaml.v3's message for data, "" if it parses.
func rejects(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return ""
		}
		return yamlMessage(err)
	}
}

func lineText(data []byte, line int) string {
	if line < 1 {
		return ""
	}
	ls := strings.Split(string(data), "\n")
	if line > len(ls) {
		return ""
	}
	return ls[line-1]
}

// isTabProblem: yaml.v3 words a tab in indentation several ways, the
// commonest being "found character that cannot start any token".
func isTabProblem(msg, text string, col int) bool {
	if strings.Contains(msg, "tab character") {
		return true
	}
	indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
	return strings.Contains(msg, "cannot start any token") && strings.Contains(indent, "\t") && col <= len(indent)+1
}
