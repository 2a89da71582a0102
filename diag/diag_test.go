package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func sample() Diagnostics {
	return Diagnostics{
		{Severity: Error, Summary: `Unknown field "nmae"`, Detail: `Did you mean "name"?`,
			Subject: &Range{Filename: "task.yaml", Start: Pos{Line: 3, Column: 1}, End: Pos{Line: 3, Column: 5}}, Field: "nmae"},
		{Severity: Warning, Summary: "Unknown accelerator dropped", Detail: "line one\nline two"},
	}
}

func TestWriteTextNamesFileLineFieldAndDetail(t *testing.T) {
	var b bytes.Buffer
	WriteText(&b, sample())
	want := "Error: Unknown field \"nmae\"\n" +
		"  on task.yaml line 3, column 1, field nmae:\n" +
		"  Did you mean \"name\"?\n\n" +
		"Warning: Unknown accelerator dropped\n" +
		"  line one\n  line two\n\n"
	if b.String() != want {
		t.Errorf("text view:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteJSONRoundTripsTheSameValue(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Diagnostics Diagnostics }
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Diagnostics) != 2 || doc.Diagnostics[0].Subject.Start.Line != 3 || doc.Diagnostics[0].Field != "nmae" ||
		doc.Diagnostics[1].Severity != Warning || doc.Diagnostics[1].Subject != nil {
		t.Errorf("JSON view lost data: %s", b.String())
	}
	b.Reset()
	WriteJSON(&b, nil)
	if !strings.Contains(b.String(), `"diagnostics": []`) {
		t.Errorf("empty diagnostics should be [], got %s", b.String())
	}
}

func TestAppendUnwrapsDiagnosticsCarriedInErrors(t *testing.T) {
	inner := sample()
	wrapped := fmt.Errorf("loading: %w", inner)
	var ds Diagnostics
	ds = ds.Append(wrapped, errors.New("plain failure"), nil, sample()[1])
	if len(ds) != 4 {
		t.Fatalf("len = %d: %v", len(ds), ds)
	}
	if ds[0].Subject == nil || ds[2].Summary != "plain failure" || ds[2].Severity != Error {
		t.Errorf("append: %+v", ds)
	}
	if !ds.HasErrors() || ds.Err() == nil {
		t.Error("errors not detected")
	}
	if (Diagnostics{sample()[1]}).Err() != nil {
		t.Error("warnings alone are not an error")
	}
	if got := ds[0].Error(); got != `task.yaml:3:1: Unknown field "nmae" (field nmae): Did you mean "name"?` {
		t.Errorf("Error() = %q", got)
	}
}
