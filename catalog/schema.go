package catalog

import (
	"bytes"
	"fmt"
	"math"
	"strings"
)

// Files of each cloud's catalog directory and the columns each must have
// (SkyPilot catalog schema v8). Extra columns are ignored, so newer
// upstream files with added columns still load.
var requiredColumns = map[string][]string{
	"aws/vms.csv":         {"InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "Price", "SpotPrice", "Region", "AvailabilityZone"},
	"aws/images.csv":      {"Tag", "Region", "ImageId"},
	"aws/az_mappings.csv": {"AvailabilityZoneName", "AvailabilityZone"},
	"gcp/vms.csv":         {"InstanceType", "vCPUs", "MemoryGiB", "AcceleratorName", "AcceleratorCount", "Region", "AvailabilityZone", "Price", "SpotPrice"},
	"azure/vms.csv":       {"InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "Price", "SpotPrice", "Region"},
}

// KnownFiles lists the catalog files skyplan reads, as "<cloud>/<name>.csv".
func KnownFiles() []string {
	return []string{"aws/vms.csv", "aws/images.csv", "aws/az_mappings.csv", "gcp/vms.csv", "azure/vms.csv"}
}

// NotOffered marks a blank Price or SpotPrice cell.
const NotOffered = -1.0

// Offer is one catalog row: an instance type (or, for GCP, an accelerator
// priced on its own with InstanceType "") in one region or zone.
type Offer struct {
	InstanceType     string
	AcceleratorName  string // "" for CPU-only types
	AcceleratorCount float64
	VCPUs            float64 // 0 when unknown
	MemoryGiB        float64
	DeviceMemoryGiB  float64 // per accelerator, from GpuInfo; 0 when unknown
	Price            float64 // on-demand $/h; NotOffered when blank
	SpotPrice        float64 // NotOffered when blank
	Region           string
	Zone             string // zone name ("" for Azure); AWS IDs are mapped to names
	Arch             string
}

// PriceFor returns the on-demand or spot price and whether it is offered.
func (o Offer) PriceFor(spot bool) (float64, bool) {
	p := o.Price
	if spot {
		p = o.SpotPrice
	}
	return p, p >= 0
}

// columns maps header names to indices.
type columns map[string]int

func readHeader(r *csvReader, file string) (columns, error) {
	head, err := r.next()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if head == nil {
		return nil, fmt.Errorf("%s: empty file (expected a CSV header)", file)
	}
	cols := columns{}
	for i, h := range head {
		cols[strings.TrimSpace(string(h))] = i
	}
	var missing []string
	for _, c := range requiredColumns[file] {
		if _, ok := cols[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing column(s) %s (SkyPilot v8 catalog format expected)", file, strings.Join(missing, ", "))
	}
	return cols, nil
}

func (c columns) idx(name string) int {
	if i, ok := c[name]; ok {
		return i
	}
	return -1
}

func field(rec [][]byte, i int) []byte {
	if i < 0 || i >= len(rec) {
		return nil
	}
	return rec[i]
}

// parseVMs reads a <cloud>/vms.csv. zoneNames maps AWS AZ IDs to names.
func parseVMs(cloud string, data []byte, zoneNames map[string]string) ([]Offer, error) {
	file := cloud + "/vms.csv"
	r := newCSVReader(data)
	cols, err := readHeader(r, file)
	if err != nil {
		return nil, err
	}
	iType, iAcc, iCnt := cols.idx("InstanceType"), cols.idx("AcceleratorName"), cols.idx("AcceleratorCount")
	iCPU, iMem, iGPU := cols.idx("vCPUs"), cols.idx("MemoryGiB"), cols.idx("GpuInfo")
	iPrice, iSpot := cols.idx("Price"), cols.idx("SpotPrice")
	iRegion, iZone, iArch := cols.idx("Region"), cols.idx("AvailabilityZone"), cols.idx("Arch")
	// A rough row count keeps the slice from regrowing.
	offers := make([]Offer, 0, bytes.Count(data, []byte{'\n'}))
	in := interner{}
	// Rows are grouped by instance type and region, so most cells repeat
	// the previous row's value: a per-column cache skips the map lookup.
	var lastType, lastAcc, lastRegion, lastZone, lastArch string
	for {
		rec, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if rec == nil {
			break
		}
		o := Offer{
			InstanceType:    in.cached(&lastType, field(rec, iType)),
			AcceleratorName: in.cached(&lastAcc, field(rec, iAcc)),
			Region:          in.cached(&lastRegion, field(rec, iRegion)),
			Zone:            in.cached(&lastZone, field(rec, iZone)),
			Arch:            in.cached(&lastArch, field(rec, iArch)),
		}
		if o.Region == "" || (o.InstanceType == "" && o.AcceleratorName == "") {
			return nil, fmt.Errorf("%s: line %d: row needs a Region and an InstanceType or AcceleratorName", file, r.line)
		}
		nums := []struct {
			col int
			dst *float64
			def float64
		}{
			{iCnt, &o.AcceleratorCount, 0}, {iCPU, &o.VCPUs, 0}, {iMem, &o.MemoryGiB, 0},
			{iPrice, &o.Price, NotOffered}, {iSpot, &o.SpotPrice, NotOffered},
		}
		for _, n := range nums {
			v, ok, err := parseFloat(field(rec, n.col))
			if err != nil || (ok && (math.IsNaN(v) || v < 0)) {
				return nil, fmt.Errorf("%s: line %d: invalid number %q", file, r.line, field(rec, n.col))
			}
			if !ok {
				v = n.def
			}
			*n.dst = v
		}
		o.DeviceMemoryGiB = deviceMemoryGiB(field(rec, iGPU))
		if zoneNames != nil && o.Zone != "" {
			name, ok := zoneNames[o.Zone]
			if !ok {
				// Like SkyPilot's inner join with the account's AZ mapping:
				// zones the account cannot see (local zones) are not offered.
				continue
			}
			o.Zone = name
		}
		offers = append(offers, o)
	}
	return offers, nil
}

// deviceMemoryGiB extracts the first 'SizeInMiB': N from a GpuInfo cell
// (a Python dict literal) without a full parser.
func deviceMemoryGiB(info []byte) float64 {
	const key = "'SizeInMiB':"
	i := bytes.Index(info, []byte(key))
	if i < 0 {
		return 0
	}
	rest := bytes.TrimLeft(info[i+len(key):], " ")
	end := 0
	for end < len(rest) && (rest[end] >= '0' && rest[end] <= '9' || rest[end] == '.') {
		end++
	}
	v, ok, err := parseFloat(rest[:end])
	if err != nil || !ok {
		return 0
	}
	return v / 1024
}

// parseAZMappings reads aws/az_mappings.csv into AZ ID → AZ name.
func parseAZMappings(data []byte) (map[string]string, error) {
	const file = "aws/az_mappings.csv"
	r := newCSVReader(data)
	cols, err := readHeader(r, file)
	if err != nil {
		return nil, err
	}
	iName, iID := cols.idx("AvailabilityZoneName"), cols.idx("AvailabilityZone")
	out := map[string]string{}
	for {
		rec, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if rec == nil {
			return out, nil
		}
		name, id := strings.TrimSpace(string(field(rec, iName))), strings.TrimSpace(string(field(rec, iID)))
		if name == "" || id == "" {
			return nil, fmt.Errorf("%s: line %d: AvailabilityZoneName and AvailabilityZone must be set", file, r.line)
		}
		out[id] = name
	}
}

// image is one row of aws/images.csv.
type image struct{ tag, region, id string }

func parseImages(data []byte) ([]image, error) {
	const file = "aws/images.csv"
	r := newCSVReader(data)
	cols, err := readHeader(r, file)
	if err != nil {
		return nil, err
	}
	iTag, iRegion, iID := cols.idx("Tag"), cols.idx("Region"), cols.idx("ImageId")
	var out []image
	for {
		rec, err := r.next()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if rec == nil {
			return out, nil
		}
		out = append(out, image{
			tag:    strings.TrimSpace(string(field(rec, iTag))),
			region: strings.TrimSpace(string(field(rec, iRegion))),
			id:     strings.TrimSpace(string(field(rec, iID))),
		})
	}
}

// Validate checks that data is a well-formed catalog file of the given kind
// ("aws/vms.csv", ...) and returns its number of data rows.
func Validate(file string, data []byte) (rows int, err error) {
	switch file {
	case "aws/vms.csv", "gcp/vms.csv", "azure/vms.csv":
		offers, err := parseVMs(strings.TrimSuffix(file, "/vms.csv"), data, nil)
		return len(offers), err
	case "aws/az_mappings.csv":
		m, err := parseAZMappings(data)
		return len(m), err
	case "aws/images.csv":
		imgs, err := parseImages(data)
		return len(imgs), err
	}
	return 0, fmt.Errorf("unknown catalog file %q (known: %s)", file, strings.Join(KnownFiles(), ", "))
}
