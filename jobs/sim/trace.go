// Package sim replays managed-job policies (jobs/policy) over recorded spot
// availability traces on a virtual clock, and computes the omniscient
// optimum of a trace exactly, so a policy's cost can be read against both
// all-on-demand and the best any policy could have done.
package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Trace is one zone's spot availability, tick by tick, in the format of
// skypilot-org/spot-traces: {"metadata":{"gap_seconds":G},"data":[n0,n1,…]}
// where data[i] is how many spot instances could be had during tick i.
type Trace struct {
	// Name identifies the trace in results: its path relative to the
	// directory it was loaded from (or its file name).
	Name string
	// Gap is the length of one tick.
	Gap time.Duration
	// Available is the number of spot instances obtainable at each tick.
	Available []int
}

// Zone is the zone the trace was measured in, from its file name
// (<zone>_<accelerator>_<count>.json), e.g. "us-east-1c".
func (t Trace) Zone() string {
	base := filepath.Base(t.Name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	zone, _, _ := strings.Cut(base, "_")
	return zone
}

// Span is the wall time the trace covers.
func (t Trace) Span() time.Duration { return time.Duration(len(t.Available)) * t.Gap }

// SpotAt reports whether a cluster of nodes spot instances can be had at
// offset at from the trace's start. Past its end the trace says nothing, and
// the replay assumes the worst: no spot.
func (t Trace) SpotAt(at time.Duration, nodes int) bool {
	if at < 0 {
		return false
	}
	i := int(at / t.Gap)
	return i < len(t.Available) && t.Available[i] >= nodes
}

type traceFile struct {
	Metadata *struct {
		GapSeconds *float64 `json:"gap_seconds"`
	} `json:"metadata"`
	Data *[]float64 `json:"data"`
}

// ParseTrace parses one trace file's bytes; name is used in errors and as
// the trace's Name.
func ParseTrace(name string, data []byte) (Trace, error) {
	var f traceFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return Trace{}, fmt.Errorf("%s: not a spot trace (%v); expected {\"metadata\":{\"gap_seconds\":N},\"data\":[…]}", name, err)
	}
	switch {
	case f.Metadata == nil || f.Metadata.GapSeconds == nil:
		return Trace{}, fmt.Errorf("%s: metadata.gap_seconds is missing; expected the seconds between two data points, e.g. {\"metadata\":{\"gap_seconds\":300}}", name)
	case *f.Metadata.GapSeconds < 1 || *f.Metadata.GapSeconds > 86400:
		// Under a second per tick the replay grid (steps of at most a
		// minute, never finer than the tick) would take billions of steps.
		return Trace{}, fmt.Errorf("%s: metadata.gap_seconds is %v; expected a number of seconds from 1 to 86400", name, *f.Metadata.GapSeconds)
	case f.Data == nil || len(*f.Data) == 0:
		return Trace{}, fmt.Errorf("%s: data is missing or empty; expected one availability count per tick", name)
	}
	t := Trace{
		Name:      name,
		Gap:       time.Duration(*f.Metadata.GapSeconds * float64(time.Second)),
		Available: make([]int, len(*f.Data)),
	}
	for i, v := range *f.Data {
		if v < 0 || v != float64(int(v)) {
			return Trace{}, fmt.Errorf("%s: data[%d] is %v; expected a whole number of available instances ≥ 0", name, i, v)
		}
		t.Available[i] = int(v)
	}
	return t, nil
}

// LoadTraces loads a trace file, or every *.json trace under a directory
// (recursively, in path order, named by their path relative to it).
func LoadTraces(path string) ([]Trace, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		t, err := ParseTrace(filepath.Base(path), data)
		if err != nil {
			return nil, err
		}
		return []Trace{t}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.json trace files in this directory", path)
	}
	var out []Trace
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(path, p)
		t, err := ParseTrace(filepath.ToSlash(rel), data)
		if err != nil {
			return nil, fmt.Errorf("%s", strings.Replace(err.Error(), rel, p, 1))
		}
		out = append(out, t)
	}
	return out, nil
}
