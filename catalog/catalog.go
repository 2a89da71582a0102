// Package catalog loads SkyPilot-format (v8) price catalogs for AWS, GCP and
// Azure: an embedded compressed snapshot, or a refreshed copy under
// $SKYPLAN_HOME/catalogs.
package catalog

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds catalogs are read for
	"github.com/skyplan/skyplan/skyhome"
)

// The snapshot (data/<cloud>.bin.gz plus aws/images.csv.gz and
// aws/az_mappings.csv.gz) is regenerated from ../shared/catalogs, or any
// directory of v8 CSVs, with gen_snapshot.go (see snapshot.go).
//
//go:generate go run gen_snapshot.go -from ../../shared/catalogs -to data
//go:embed data
var snapshot embed.FS

// CloudCatalog is one cloud's offers.
type CloudCatalog struct {
	Name string
	// Offers are the catalog rows with an instance type, in file order.
	Offers []Offer
	// Accelerators are GCP's separately priced GPU/TPU rows (empty
	// InstanceType); a GCP GPU node costs host VM + accelerator.
	Accelerators []Offer
	// Source is the file the offers came from ("embedded:aws/vms.csv" or a path).
	Source string

	byType struct {
		once sync.Once
		runs map[string][][2]int32 // [from, to) row ranges per instance type
	}
}

// OfferIndexes returns the indexes into Offers of an instance type's rows,
// in catalog order. The index behind it is built on first use (safe for
// concurrent callers) and stores runs of adjacent rows, which is how
// catalogs are laid out, so building it is one pass with a map lookup per
// run rather than per row.
func (cc *CloudCatalog) OfferIndexes(instanceType string) []int32 {
	cc.byType.once.Do(func() {
		cc.byType.runs = map[string][][2]int32{}
		for i := 0; i < len(cc.Offers); {
			t := cc.Offers[i].InstanceType
			j := i + 1
			for j < len(cc.Offers) && cc.Offers[j].InstanceType == t {
				j++
			}
			cc.byType.runs[t] = append(cc.byType.runs[t], [2]int32{int32(i), int32(j)})
			i = j
		}
	})
	var out []int32
	for _, r := range cc.byType.runs[instanceType] {
		for k := r[0]; k < r[1]; k++ {
			out = append(out, k)
		}
	}
	return out
}

// Catalog holds every cloud's offers. Clouds are parsed on first use, so a
// task pinned to one cloud does not pay for the others.
type Catalog struct {
	dir   string // "" = only the embedded snapshot; else preferred override dir
	onlyD bool   // read only from dir (tests, update validation)

	mu         sync.Mutex
	clouds     map[string]*cloudSlot
	accelNames struct {
		once  sync.Once
		names []string
	}
	images struct {
		once sync.Once
		rows []image
		err  error
	}
	zoneIDs zoneMaps
}

// zoneMaps are aws/az_mappings.csv both ways: zone name → zone ID (ids)
// and back (names).
type zoneMaps struct {
	once       sync.Once
	ids, names map[string]string
}

type cloudSlot struct {
	once sync.Once
	cat  *CloudCatalog
	err  error
}

// Embedded snapshot parses are shared by every Catalog in the process: the
// data cannot change, and warm runs (tests, benchmarks) should not re-parse.
var embedded = struct {
	sync.Mutex
	slots map[string]*cloudSlot
}{slots: map[string]*cloudSlot{}}

// embeddedSlot returns the shared slot of a cloud whose catalog is in the
// snapshot (data/<cloud>.bin.gz).
func embeddedSlot(name string) (*cloudSlot, bool) {
	embedded.Lock()
	defer embedded.Unlock()
	if s, ok := embedded.slots[name]; ok {
		return s, true
	}
	if _, err := fs.Stat(snapshot, "data/"+name+".bin.gz"); err != nil {
		return nil, false
	}
	s := &cloudSlot{}
	embedded.slots[name] = s
	return s, true
}

// Clouds are the registered clouds that have price catalogs (all but SSH
// node pools), in the registry's order: the order the optimizer iterates
// them (ties keep it).
func Clouds() []string {
	var out []string
	for _, c := range cloud.All() {
		if !cloud.IsNodePool(c.Name()) {
			out = append(out, c.Name())
		}
	}
	return out
}

// Load returns the catalog, preferring $SKYPLAN_HOME/catalogs/<cloud>/*.csv
// over the embedded snapshot file by file.
func Load() (*Catalog, error) {
	return &Catalog{dir: skyhome.Path("catalogs")}, nil
}

// Embedded returns the catalog built into the binary, ignoring any
// refreshed copy.
func Embedded() *Catalog { return &Catalog{} }

// LoadDir returns a catalog read only from dir/<cloud>/*.csv (fixtures,
// update sources). Missing clouds have no offers.
func LoadDir(dir string) (*Catalog, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return &Catalog{dir: dir, onlyD: true}, nil
}

// Cloud returns one cloud's offers, parsing them on first use. Unknown
// clouds return an error.
func (c *Catalog) Cloud(name string) (*CloudCatalog, error) {
	slot, err := c.slot(name)
	if err != nil {
		return nil, err
	}
	slot.once.Do(func() { slot.cat, slot.err = c.parseCloud(name) })
	return slot.cat, slot.err
}

func (c *Catalog) slot(name string) (*cloudSlot, error) {
	known := false
	for _, k := range Clouds() {
		known = known || k == name
	}
	if !known {
		return nil, fmt.Errorf("no catalog for cloud %q (skyplan has catalogs for %s)", name, strings.Join(Clouds(), ", "))
	}
	// AWS zone IDs in the snapshot are already mapped to names, so only a
	// refreshed vms.csv (mapped with the refreshed or embedded
	// az_mappings.csv) replaces a cloud's embedded offers.
	if !c.onlyD && !c.hasOverride(name+"/vms.csv") {
		if s, ok := embeddedSlot(name); ok {
			return s, nil
		}
		return nil, fmt.Errorf("no catalog for cloud %q: the binary embeds none and %s has no %s/vms.csv (run `skyplan catalog update`)", name, c.dir, name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clouds == nil {
		c.clouds = map[string]*cloudSlot{}
	}
	if c.clouds[name] == nil {
		c.clouds[name] = &cloudSlot{}
	}
	return c.clouds[name], nil
}

// Preload parses the named clouds concurrently (all when none are named).
// Errors surface again from Cloud.
func (c *Catalog) Preload(clouds ...string) {
	if len(clouds) == 0 {
		clouds = Clouds()
	}
	// Decoding allocates ~15 MB of long-lived rows in a burst; collecting
	// during it only scans rows being built (and turns on write barriers),
	// which doubled cold-start time. Pause the collector for the burst.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var wg sync.WaitGroup
	for _, name := range clouds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Cloud(name)
		}()
	}
	wg.Wait()
}

func (c *Catalog) hasOverride(file string) bool {
	if c.dir == "" {
		return false
	}
	_, err := os.Stat(filepath.Join(c.dir, filepath.FromSlash(file)))
	return err == nil
}

// readFile returns a catalog file's bytes and where they came from;
// missing files return fs.ErrNotExist.
func (c *Catalog) readFile(file string) ([]byte, string, error) {
	if c.dir != "" {
		p := filepath.Join(c.dir, filepath.FromSlash(file))
		b, err := os.ReadFile(p)
		if err == nil {
			return b, p, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || c.onlyD {
			return nil, p, err
		}
	}
	gz, err := snapshot.ReadFile("data/" + file + ".gz")
	if err != nil {
		return nil, "", err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, "", err
	}
	// The gzip trailer holds the uncompressed size: allocate it once.
	var buf bytes.Buffer
	if len(gz) >= 4 {
		buf.Grow(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])) + bytes.MinRead)
	}
	if _, err := io.Copy(&buf, zr); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), "embedded:" + file, nil
}

func (c *Catalog) parseCloud(name string) (*CloudCatalog, error) {
	if !c.onlyD && !c.hasOverride(name+"/vms.csv") {
		return loadEmbedded(name)
	}
	// A cloud whose catalog names zones by id (AWS) ships az_mappings.csv.
	var zoneNames map[string]string
	b, _, err := c.readFile(name + "/az_mappings.csv")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		if zoneNames, err = parseAZMappings(b); err != nil {
			return nil, err
		}
	}
	src := filepath.Join(c.dir, name, "vms.csv")
	b, err = os.ReadFile(src)
	if c.onlyD && errors.Is(err, fs.ErrNotExist) {
		return &CloudCatalog{Name: name}, nil
	}
	if err != nil {
		return nil, err
	}
	offers, err := parseVMs(name, b, zoneNames)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	cc := &CloudCatalog{Name: name, Source: src}
	// GCP accelerator rows are split off so that host-VM scans never see them.
	n := 0
	for _, o := range offers {
		if o.InstanceType == "" {
			cc.Accelerators = append(cc.Accelerators, o)
			continue
		}
		offers[n] = o
		n++
	}
	cc.Offers = offers[:n:n]
	return cc, nil
}

func loadEmbedded(name string) (*CloudCatalog, error) {
	b, _, err := (&Catalog{}).readFile(name + ".bin")
	if err != nil {
		return nil, fmt.Errorf("embedded %s catalog: %w", name, err)
	}
	cc, err := decodeSnapshot(name, b)
	if err != nil {
		return nil, fmt.Errorf("embedded %s catalog: %w", name, err)
	}
	return cc, nil
}

// AWSImage returns the AMI of a SkyPilot image tag ("skypilot:custom-cpu-ubuntu")
// in an AWS region.
func (c *Catalog) AWSImage(tag, region string) (amiID string, ok bool) {
	c.images.once.Do(func() {
		b, _, err := c.readFile("aws/images.csv")
		if err != nil {
			c.images.err = err
			return
		}
		c.images.rows, c.images.err = parseImages(b)
	})
	for _, im := range c.images.rows {
		if im.tag == tag && strings.EqualFold(im.region, region) && im.id != "" {
			return im.id, true
		}
	}
	return "", false
}

// AWSZoneID returns the availability zone ID (use1-az2) of a zone name the
// catalog priced (us-east-1a). The catalog prices zones by ID and names
// them with its own account's mapping (aws/az_mappings.csv); another
// account may give that ID another name, so the generated module places
// nodes by this ID and Terraform resolves the account's name.
func (c *Catalog) AWSZoneID(zone string) (string, bool) {
	id, ok := c.zoneMaps().ids[zone]
	return id, ok
}

// AWSZoneName is the inverse of AWSZoneID: the catalog's name of a zone
// ID, for turning what an account reports (state rebuild reads instances
// back from the cloud) into the zone skyplan priced.
func (c *Catalog) AWSZoneName(id string) (string, bool) {
	name, ok := c.zoneMaps().names[id]
	return name, ok
}

// zoneMaps reads aws/az_mappings.csv once into both directions (empty
// maps when the file is missing or malformed: nothing maps).
func (c *Catalog) zoneMaps() *zoneMaps {
	z := &c.zoneIDs
	z.once.Do(func() {
		b, _, err := c.readFile("aws/az_mappings.csv")
		if err != nil {
			return
		}
		byID, err := parseAZMappings(b)
		if err != nil {
			return
		}
		z.names = byID
		z.ids = make(map[string]string, len(byID))
		for id, name := range byID {
			z.ids[name] = id
		}
	})
	return z
}

// AcceleratorNames returns the canonical accelerator names offered by any
// cloud, sorted (the task parser canonicalises user spellings against it).
func (c *Catalog) AcceleratorNames() []string {
	c.accelNames.once.Do(func() { c.accelNames.names = c.acceleratorNames() })
	return append([]string(nil), c.accelNames.names...)
}

func (c *Catalog) acceleratorNames() []string {
	c.Preload()
	seen := map[string]bool{}
	for _, name := range Clouds() {
		cc, err := c.Cloud(name)
		if err != nil {
			continue
		}
		for _, rows := range [][]Offer{cc.Offers, cc.Accelerators} {
			for i := range rows {
				if n := rows[i].AcceleratorName; n != "" {
					seen[n] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Regions returns a cloud's region names, sorted.
func (cc *CloudCatalog) Regions() []string {
	seen := map[string]bool{}
	var out []string
	for _, rows := range [][]Offer{cc.Offers, cc.Accelerators} {
		for i := range rows {
			if r := rows[i].Region; !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Zones returns the zone names of a region (all regions when region is ""), sorted.
func (cc *CloudCatalog) Zones(region string) []string {
	seen := map[string]bool{}
	var out []string
	for _, rows := range [][]Offer{cc.Offers, cc.Accelerators} {
		for i := range rows {
			o := &rows[i]
			if o.Zone == "" || seen[o.Zone] || (region != "" && !strings.EqualFold(o.Region, region)) {
				continue
			}
			seen[o.Zone] = true
			out = append(out, o.Zone)
		}
	}
	sort.Strings(out)
	return out
}

// HasInstanceType reports whether the cloud offers the instance type anywhere.
func (cc *CloudCatalog) HasInstanceType(t string) bool {
	for i := range cc.Offers {
		if cc.Offers[i].InstanceType == t {
			return true
		}
	}
	return false
}
