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
	if v, ok := parseSimpleDecimal(b); ok {
		return v, true, nil
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

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseSimpleDecimal handles the catalog's common "123.4567" cells. With at
// most 15 significant digits the mantissa and the power of ten are exact, so
// one division is correctly rounded: the same value strconv returns.
func parseSimpleDecimal(b []byte) (float64, bool) {
	var mant uint64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if frac >= 0 {
				frac++
			}
		case c == '.' && frac < 0 && i > 0:
			frac = 0
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	if frac <= 0 {
		return float64(mant), true
	}
	return float64(mant) / pow10[frac], true
}

// cached interns b, reusing *last when the cell repeats the previous row.
func (in interner) cached(last *string, b []byte) string {
	b = bytes.TrimSpace(b)
	if string(b) == *last {
		return *last
	}
	*last = in.get(b)
	return *last
}
