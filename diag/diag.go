// Package diag is skyplan's one diagnostic type, shared from the YAML parser
// to the CLI. A Diagnostic is rendered as human text or as JSON from the same
// value, so the two views cannot drift apart (terraform's tfdiags model).
package diag

import (
	"errors"
	"fmt"
	"strings"
)

// Severity of a diagnostic.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Pos is a 1-based line and column in a source file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Range locates a diagnostic in a file. End may equal Start.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// String renders "file:line:col".
func (r Range) String() string {
	if r.Start.Line == 0 {
		return r.Filename
	}
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// Diagnostic is one problem: a short Summary (sentence case, no period), a
// Detail in full sentences that names the fix, where it is (Subject), and the
// YAML field path it concerns (e.g. "resources.accelerators").
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Subject  *Range   `json:"range,omitempty"`
	Field    string   `json:"field,omitempty"`
}

// Error makes a Diagnostic usable as an error value.
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.Subject != nil {
		b.WriteString(d.Subject.String())
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	if d.Field != "" {
		fmt.Fprintf(&b, " (field %s)", d.Field)
	}
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// Diagnostics accumulates problems; render once at the end.
type Diagnostics []Diagnostic

// Errorf appends an error diagnostic with no source location.
func (ds *Diagnostics) Errorf(summary, detailFormat string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Error, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...)})
}

// Append adds diagnostics; a plain error becomes a sourceless error
// diagnostic unless it already carries diagnostics.
func (ds Diagnostics) Append(items ...any) Diagnostics {
	for _, it := range items {
		switch v := it.(type) {
		case nil:
		case Diagnostic:
			ds = append(ds, v)
		case *Diagnostic:
			if v != nil {
				ds = append(ds, *v)
			}
		case Diagnostics:
			ds = append(ds, v...)
		case error:
			var inner Diagnostics
			var one Diagnostic
			switch {
			case errors.As(v, &inner):
				ds = append(ds, inner...)
			case errors.As(v, &one):
				ds = append(ds, one)
			default:
				ds = append(ds, Diagnostic{Severity: Error, Summary: v.Error()})
			}
		default:
			panic(fmt.Sprintf("diag.Append: unsupported %T", it))
		}
	}
	return ds
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Err returns the diagnostics as an error when any is an error, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Error joins the diagnostics, one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}
