package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// jsonDoc is the JSON view of diagnostics (also the source of the human view).
type jsonDoc struct {
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// WriteJSON renders diagnostics as {"diagnostics":[...]}.
func WriteJSON(w io.Writer, ds Diagnostics) error {
	if ds == nil {
		ds = Diagnostics{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonDoc{Diagnostics: ds})
}

// WriteText renders diagnostics for humans:
//
//	Error: Unknown field "nmae"
//	  on task.yaml line 1, column 1 (field nmae):
//	  Did you mean "name"?
func WriteText(w io.Writer, ds Diagnostics) {
	for _, d := range ds {
		label := "Error"
		if d.Severity == Warning {
			label = "Warning"
		}
		fmt.Fprintf(w, "%s: %s\n", label, d.Summary)
		var where []string
		if d.Subject != nil && d.Subject.Filename != "" {
			if d.Subject.Start.Line > 0 {
				where = append(where, fmt.Sprintf("on %s line %d, column %d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column))
			} else {
				where = append(where, "in "+d.Subject.Filename)
			}
		}
		if d.Field != "" {
			where = append(where, "field "+d.Field)
		}
		if len(where) > 0 {
			fmt.Fprintf(w, "  %s:\n", strings.Join(where, ", "))
		}
		if d.Detail != "" {
			for _, line := range strings.Split(d.Detail, "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
		fmt.Fprintln(w)
	}
}
