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

const offerColumns = 11

var errCorrupt = errors.New("corrupt catalog snapshot")

func decodeSnapshot(name string, data []byte) (*CloudCatalog, error) {
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return nil, errCorrupt
	}
	p := len(snapshotMagic)
	var bad bool
	u := func() uint64 {
		v, n := binary.Uvarint(data[p:])
		if n <= 0 {
			bad = true
			return 0
		}
		p += n
		return v
	}
	nStr := u()
	if bad || nStr > uint64(len(data)) {
		return nil, errCorrupt
	}
	strs := make([]string, nStr)
	for i := range strs {
		l := u()
		if bad || uint64(len(data)-p) < l {
			return nil, errCorrupt
		}
		strs[i] = string(data[p : p+int(l)])
		p += int(l)
	}
	nFlt := u()
	if bad || uint64(len(data)-p)/8 < nFlt {
		return nil, errCorrupt
	}
	flts := make([]float64, nFlt)
	for i := range flts {
		flts[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[p:]))
		p += 8
	}
	nOff, nAcc := u(), u()
	if bad || nOff+nAcc > uint64(len(data)) {
		return nil, errCorrupt
	}
	rows := make([]Offer, nOff+nAcc)
	for c := 0; c < offerColumns; c++ {
		for i := range rows {
			v := u()
			if c < 5 && v >= nStr || c >= 5 && v >= nFlt || bad {
				return nil, errCorrupt
			}
			o := &rows[i]
			switch c {
			case 0:
				o.InstanceType = strs[v]
			case 1:
				o.AcceleratorName = strs[v]
			case 2:
				o.Region = strs[v]
			case 3:
				o.Zone = strs[v]
			case 4:
				o.Arch = strs[v]
			case 5:
				o.AcceleratorCount = flts[v]
			case 6:
				o.VCPUs = flts[v]
			case 7:
				o.MemoryGiB = flts[v]
			case 8:
				o.DeviceMemoryGiB = flts[v]
			case 9:
				o.Price = flts[v]
			case 10:
				o.SpotPrice = flts[v]
			}
		}
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
	for _, name := range Clouds {
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
