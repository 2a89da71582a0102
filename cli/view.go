package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
)

// The view of a command is chosen once, from its -o flag, before any work
// (useView); Run renders the accumulated diagnostics exactly once when the
// command returns. In JSON mode stdout carries exactly one JSON document,
// on success and on failure: the command's result (setResult) with a
// "diagnostics" array added when there are any ({"diagnostics": [...]}
// alone when the command failed before it had a result). On failure
// stderr carries the same diagnostics as JSON, for tools that read errors
// there.

type view struct {
	json      bool
	jsonDiags bool // --json-diagnostics: machine-readable stderr in a human view
	result    any  // the JSON document (JSON mode)
	always    bool // the document always has "diagnostics", even empty
}

// useView chooses the command's view from its output format. It is called
// first thing in every command, before any work.
func (io *IO) useView(format string) {
	if io.view == nil {
		io.view = &view{}
	}
	io.view.json = format == "json"
}

// jsonView reports whether the command renders JSON.
func (io *IO) jsonView() bool { return io.view != nil && io.view.json }

// setResult records the command's JSON document (JSON mode only).
func (io *IO) setResult(doc any) {
	if io.view == nil {
		io.view = &view{}
	}
	io.view.result = doc
}

// withDiagnostics makes the JSON document always carry "diagnostics"
// (validate's verdict contract), empty when there are none.
func (io *IO) withDiagnostics() {
	if io.view == nil {
		io.view = &view{}
	}
	io.view.always = true
}

// render writes the command's outcome once: the JSON document on stdout
// and diagnostics on stderr (JSON in JSON mode or with --json-diagnostics,
// text otherwise).
func (io *IO) render(ds diag.Diagnostics) {
	v := io.view
	if v == nil {
		v = &view{}
	}
	// A command that printed its own JSON (no setResult) and has nothing
	// to add gets no second document.
	if v.json && (v.result != nil || len(ds) > 0 || v.always) {
		if err := writeDocument(io, v.result, ds, v.always); err != nil {
			fmt.Fprintf(io.Err, "Error: writing the JSON result: %v\n", err)
		}
	}
	if len(ds) == 0 {
		return
	}
	if v.json {
		if ds.HasErrors() { // the document on stdout has them all
			_ = diag.WriteJSON(io.Err, ds)
		}
		return
	}
	if v.jsonDiags {
		_ = diag.WriteJSON(io.Err, ds)
		return
	}
	diag.WriteText(io.Err, ds)
}

// writeDocument encodes doc (an object) with a "diagnostics" member added
// last, keeping doc's own field order.
func writeDocument(io *IO, doc any, ds diag.Diagnostics, always bool) error {
	if ds == nil {
		ds = diag.Diagnostics{}
	}
	var body []byte
	if doc != nil {
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		body = bytes.TrimSpace(b)
	}
	if len(body) < 2 || body[0] != '{' {
		if body != nil && string(body) != "null" {
			return fmt.Errorf("internal: JSON result is not an object: %.40s", body)
		}
		body = []byte("{}")
	}
	if len(ds) > 0 || always || doc == nil {
		d, err := json.Marshal(ds)
		if err != nil {
			return err
		}
		inner := bytes.TrimSpace(body[1 : len(body)-1])
		var b bytes.Buffer
		b.WriteByte('{')
		if len(inner) > 0 {
			b.Write(inner)
			b.WriteByte(',')
		}
		b.WriteString(`"diagnostics":`)
		b.Write(d)
		b.WriteByte('}')
		body = b.Bytes()
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := io.Out.Write(out.Bytes())
	return err
}

func itoa(n int) string { return fmt.Sprint(n) }

// outputFlag is the -o/--output format flag bound to dst.
func outputFlag(dst *string, def, formats string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: def, Destination: dst, Usage: "`FORMAT`: " + formats}
}

// chooseView validates the -o format against the command's formats and
// chooses the view; an unknown format is an error in the human view.
func (io *IO) chooseView(format string, formats ...string) error {
	for _, f := range formats {
		if f == format {
			io.useView(format)
			return nil
		}
	}
	io.useView("text")
	list := strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
	return fail(nil, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid output format",
		Detail: fmt.Sprintf("-o must be %s, got %q.", list, format), Field: "--output"})
}

// firstArg is the first positional argument ("" if none).
func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
