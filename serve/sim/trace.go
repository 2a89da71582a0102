// Package sim replays serving policies over recorded spot availability on a
// virtual clock: the real autoscaler (serve/autoscale) and spot placer
// (serve/placer) decide, a simulated fleet of replicas is preempted when
// the traces say the zone's spot capacity is gone, and the replay reports
// cost against all on-demand and availability (the fraction of time with
// at least the target number of ready replicas), as the SkyServe paper's
// simulator does.
package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Trace is one zone's spot capacity over time, from a
// skypilot-org/spot-traces file {"metadata":{"gap_seconds":G},"data":[…]}.
type Trace struct {
	// Zone comes from the file name (<zone>_<accelerator>_<count>.json).
	Zone string
	File string
	Gap  time.Duration
	// Capacity[i] is how many spot instances could be had during tick i.
	Capacity []int
	// Counted is true for multi-node traces (values above 1): capacity is
	// a count. A 0/1 trace only says whether the zone had spot capacity,
	// so 1 means "any number" (a replica does not compete with its
	// siblings for the one probe instance the trace measured).
	Counted bool
}

// Span is the time the trace covers.
func (t Trace) Span() time.Duration { return time.Duration(len(t.Capacity)) * t.Gap }

// capacityAt is the spot capacity at offset at (0 past the end).
func (t Trace) capacityAt(at time.Duration) int {
	i := int(at / t.Gap)
	if at < 0 || i >= len(t.Capacity) {
		return 0
	}
	c := t.Capacity[i]
	if !t.Counted && c > 0 {
		return 1 << 30
	}
	return c
}

// LoadDir reads every *.json trace directly in dir: one zone each.
func LoadDir(dir string) ([]Trace, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Trace
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		t, err := LoadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no trace files (*.json, one per zone, {\"metadata\":{\"gap_seconds\":N},\"data\":[...]})", dir)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Zone < out[j].Zone })
	for i := 1; i < len(out); i++ {
		if out[i].Zone == out[i-1].Zone {
			return nil, fmt.Errorf("%s and %s are both zone %s: put one trace per zone in a directory", out[i-1].File, out[i].File, out[i].Zone)
		}
	}
	return out, nil
}

// LoadFile reads one trace file.
func LoadFile(path string) (Trace, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Trace{}, err
	}
	var f struct {
		Metadata struct {
			GapSeconds float64 `json:"gap_seconds"`
		} `json:"metadata"`
		Data []float64 `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return Trace{}, fmt.Errorf("%s: not a spot trace: %v", path, err)
	}
	if f.Metadata.GapSeconds <= 0 || len(f.Data) == 0 {
		return Trace{}, fmt.Errorf("%s: a trace needs metadata.gap_seconds > 0 and a non-empty data list", path)
	}
	base := strings.TrimSuffix(filepath.Base(path), ".json")
	zone, _, _ := strings.Cut(base, "_")
	t := Trace{Zone: zone, File: path, Gap: time.Duration(f.Metadata.GapSeconds * float64(time.Second))}
	for i, v := range f.Data {
		if v < 0 {
			return Trace{}, fmt.Errorf("%s: data[%d] = %v: capacities cannot be negative", path, i, v)
		}
		t.Capacity = append(t.Capacity, int(v))
		t.Counted = t.Counted || v > 1
	}
	return t, nil
}
