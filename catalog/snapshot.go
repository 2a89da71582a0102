package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// The embedded snapshot stores each cloud's parsed offers in a compact
// dictionary-encoded form (gzip on top) instead of CSV: decoding ~90k rows
// is then a few index lookups per row, which keeps a cold `plan --dryrun`
// within its latency budget. Refreshed catalogs under $SKYPLAN_HOME stay
// plain CSV. The snapshot is produced from CSVs by WriteSnapshot, and a test
// checks it decodes to exactly what parsing the source CSVs gives.

const snapshotMagic = "SKYPLAN-CATALOG-1\n"

// encodeSnapshot serialises a cloud's offers: a string table, a float
// table, then each column as uvarint indices into the tables.
func encodeSnapshot(cc *CloudCatalog) []byte {
	strIdx := map[string]uint64{}
	var strs []string
	str := func(s string) uint64 {
		if i, ok := strIdx[s]; ok {
			return i
		}
		strIdx[s] = uint64(len(strs))
		strs = append(strs, s)
		return strIdx[s]
	}
	fltIdx := map[uint64]uint64{}
	var flts []float64
	flt := func(f float64) uint64 {
		bits := math.Float64bits(f)
		if i, ok := fltIdx[bits]; ok {
			return i
		}
		fltIdx[bits] = uint64(len(flts))
		flts = append(flts, f)
		return fltIdx[bits]
	}
	rows := append(append([]Offer(nil), cc.Offers...), cc.Accelerators...)
	cols := make([][]uint64, offerColumns)
	for _, o := range rows {
		for c, v := range []uint64{
			str(o.InstanceType), str(o.AcceleratorName), str(o.Region), str(o.Zone), str(o.Arch),
			flt(o.AcceleratorCount), flt(o.VCPUs), flt(o.MemoryGiB), flt(o.DeviceMemoryGiB), flt(o.Price), flt(o.SpotPrice),
		} {
			cols[c] = append(cols[c], v)
		}
	}
	var b bytes.Buffer
	b.WriteString(snapshotMagic)
	u := func(v uint64) { b.Write(binary.AppendUvarint(nil, v)) }
	u(uint64(len(strs)))
	for _, s := range strs {
		u(uint64(len(s)))
		b.WriteString(s)
	}
	u(uint64(len(flts)))
	for _, f := range flts {
		b.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)))
	}
	u(uint64(len(cc.Offers)))
	u(uint64(len(cc.Accelerators)))
	for _, col := range cols {
		for _, v := range col {
			u(v)
		}
	}
	return b.Bytes()
}

const offerColumns = 11 // encodeSnapshot's column count

var errCorrupt = errors.New("corrupt catalog snapshot")

// snapshotReader reads uvarints; one-byte values (most indexes) take the
// fast path, as decoding ~1M of them dominates a cold start.
type snapshotReader struct {
	data []byte
	p    int
	bad  bool
}

func (r *snapshotReader) u() uint64 {
	if r.p < len(r.data) && r.data[r.p] < 0x80 {
		v := uint64(r.data[r.p])
		r.p++
		return v
	}
	v, n := binary.Uvarint(r.data[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return v
}

func decodeSnapshot(name string, data []byte) (*CloudCatalog, error) {
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return nil, errCorrupt
	}
	r := &snapshotReader{data: data, p: len(snapshotMagic)}
	nStr := r.u()
	if r.bad || nStr > uint64(len(data)) {
		return nil, errCorrupt
	}
	// All strings share one allocation: first find their bounds, then cut
	// them from a single string copy of the table.
	type span struct{ from, to int }
	spans := make([]span, nStr)
	tableStart := r.p
	for i := range spans {
		l := r.u()
		if r.bad || uint64(len(data)-r.p) < l {
			return nil, errCorrupt
		}
		spans[i] = span{r.p - tableStart, r.p - tableStart + int(l)}
		r.p += int(l)
	}
	table := string(data[tableStart:r.p])
	strs := make([]string, nStr)
	for i, sp := range spans {
		strs[i] = table[sp.from:sp.to]
	}
	nFlt := r.u()
	if r.bad || uint64(len(data)-r.p)/8 < nFlt {
		return nil, errCorrupt
	}
	flts := make([]float64, nFlt)
	for i := range flts {
		flts[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[r.p:]))
		r.p += 8
	}
	nOff, nAcc := r.u(), r.u()
	if r.bad || nOff+nAcc > uint64(len(data)) {
		return nil, errCorrupt
	}
	rows := make([]Offer, nOff+nAcc)
	strCol := func(set func(o *Offer, s string)) bool {
		for i := range rows {
			v := r.u()
			if v >= nStr {
				return false
			}
			set(&rows[i], strs[v])
		}
		return !r.bad
	}
	fltCol := func(set func(o *Offer, f float64)) bool {
		for i := range rows {
			v := r.u()
			if v >= nFlt {
				return false
			}
			set(&rows[i], flts[v])
		}
		return !r.bad
	}
	ok := strCol(func(o *Offer, s string) { o.InstanceType = s }) &&
		strCol(func(o *Offer, s string) { o.AcceleratorName = s }) &&
		strCol(func(o *Offer, s string) { o.Region = s }) &&
		strCol(func(o *Offer, s string) { o.Zone = s }) &&
		strCol(func(o *Offer, s string) { o.Arch = s }) &&
		fltCol(func(o *Offer, f float64) { o.AcceleratorCount = f }) &&
		fltCol(func(o *Offer, f float64) { o.VCPUs = f }) &&
		fltCol(func(o *Offer, f float64) { o.MemoryGiB = f }) &&
		fltCol(func(o *Offer, f float64) { o.DeviceMemoryGiB = f }) &&
		fltCol(func(o *Offer, f float64) { o.Price = f }) &&
		fltCol(func(o *Offer, f float64) { o.SpotPrice = f })
	if !ok {
		return nil, errCorrupt
	}
	cc := &CloudCatalog{Name: name, Offers: rows[:nOff:nOff], Source: "embedded:" + name}
	if nAcc > 0 {
		cc.Accelerators = rows[nOff:]
	}
	return cc, nil
}

// WriteSnapshot parses the v8 CSVs under srcDir (<cloud>/vms.csv,
// aws/az_mappings.csv, aws/images.csv) and writes the embedded snapshot
// files into outDir (catalog/data). Used by gen_snapshot.go.
func WriteSnapshot(srcDir, outDir string) error {
	src, err := LoadDir(srcDir)
	if err != nil {
		return err
	}
	for _, name := range Clouds() {
		cc, err := src.Cloud(name)
		if err != nil {
			return err
		}
		if len(cc.Offers) == 0 {
			return fmt.Errorf("%s: no offers for %s", srcDir, name)
		}
		if err := writeGzip(filepath.Join(outDir, name+".bin.gz"), encodeSnapshot(cc)); err != nil {
			return err
		}
	}
	// The date messages quote ("not in the bundled snapshot of …").
	if err := os.WriteFile(filepath.Join(outDir, "SNAPSHOT_DATE"), []byte(time.Now().UTC().Format(time.DateOnly)+"\n"), 0o644); err != nil {
		return err
	}
	for _, f := range []string{"aws/images.csv", "aws/az_mappings.csv"} {
		raw, err := os.ReadFile(filepath.Join(srcDir, filepath.FromSlash(f)))
		if err != nil {
			return err
		}
		if _, err := Validate(f, raw); err != nil {
			return err
		}
		if err := writeGzip(filepath.Join(outDir, filepath.FromSlash(f)+".gz"), raw); err != nil {
			return err
		}
	}
	return nil
}

// writeGzip writes deterministic gzip (no name or mtime in the header).
func writeGzip(path string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
