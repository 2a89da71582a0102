package catalog

import (
	"bytes"
	"fmt"
	"strconv"
)

// csvReader splits RFC 4180 CSV held in memory into fields without
// allocating per field: fields are sub-slices of the input (quoted fields
// with doubled quotes are unescaped into a scratch buffer). encoding/csv
// allocates a string per field, which dominates load time for ~90k rows.
type csvReader struct {
	data    []byte
	pos     int
	line    int
	fields  [][]byte
	scratch []byte
}

func newCSVReader(data []byte) *csvReader {
	// Tolerate a UTF-8 byte-order mark written by spreadsheet tools.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	return &csvReader{data: data}
}

// next returns the fields of the next non-empty record, or nil at EOF.
// The returned slices are valid until the following call.
func (r *csvReader) next() ([][]byte, error) {
	for r.pos < len(r.data) {
		r.line++
		r.fields = r.fields[:0]
		r.scratch = r.scratch[:0]
		start := r.pos
		if r.data[r.pos] == '\n' || r.data[r.pos] == '\r' {
			r.skipEOL()
			continue
		}
		for {
			if r.pos < len(r.data) && r.data[r.pos] == '"' {
				f, err := r.quoted()
				if err != nil {
					return nil, err
				}
				r.fields = append(r.fields, f)
			} else {
				end := r.pos
				for end < len(r.data) && r.data[end] != ',' && r.data[end] != '\n' && r.data[end] != '\r' {
					end++
				}
				r.fields = append(r.fields, r.data[r.pos:end])
				r.pos = end
			}
			if r.pos < len(r.data) && r.data[r.pos] == ',' {
				r.pos++
				continue
			}
			if r.pos < len(r.data) && r.data[r.pos] != '\n' && r.data[r.pos] != '\r' {
				return nil, fmt.Errorf("line %d: unexpected %q after quoted field", r.line, r.data[r.pos])
			}
			r.skipEOL()
			break
		}
		_ = start
		return r.fields, nil
	}
	return nil, nil
}

func (r *csvReader) skipEOL() {
	if r.pos < len(r.data) && r.data[r.pos] == '\r' {
		r.pos++
	}
	if r.pos < len(r.data) && r.data[r.pos] == '\n' {
		r.pos++
	}
}

// quoted reads a quoted field starting at r.pos (the opening quote).
func (r *csvReader) quoted() ([]byte, error) {
	r.pos++ // opening quote
	begin := r.pos
	simple := true
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if c != '"' {
			r.pos++
			continue
		}
		if r.pos+1 < len(r.data) && r.data[r.pos+1] == '"' {
			simple = false
			r.pos += 2
			continue
		}
		body := r.data[begin:r.pos]
		r.pos++ // closing quote
		if simple {
			return body, nil
		}
		off := len(r.scratch)
		r.scratch = append(r.scratch, bytes.ReplaceAll(body, []byte(`""`), []byte(`"`))...)
		return r.scratch[off:], nil
	}
	return nil, fmt.Errorf("line %d: unterminated quoted field", r.line)
}

// parseFloat parses a numeric cell; blank means "absent" (ok=false).
func parseFloat(b []byte) (v float64, ok bool, err error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false, nil
	}
	// strconv.ParseFloat on a string conversion of a []byte does not
	// allocate (the compiler elides the copy).
	v, err = strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false, err
	}
	return v, true, nil
}

// interner deduplicates the few hundred distinct region, zone, instance
// type and accelerator names across ~90k rows, so rows share storage.
type interner map[string]string

func (in interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	in[s] = s
	return s
}
