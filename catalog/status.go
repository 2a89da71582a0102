package catalog

import (
	"os"
	"strings"
	"time"
)

// SkyPilotCatalogURL is where SkyPilot publishes its v8 catalogs
// (constants.HOSTED_CATALOG_DIR_URL + the schema version), laid out as
// <cloud>/vms.csv: what `skyplan catalog update` fetches by default.
const SkyPilotCatalogURL = "https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master/catalogs/v8"

// SnapshotDate is the day the embedded snapshot was generated from
// SkyPilot's CSVs (data/SNAPSHOT_DATE, written by WriteSnapshot).
func SnapshotDate() string {
	b, err := snapshot.ReadFile("data/SNAPSHOT_DATE")
	if err != nil {
		return "unknown date"
	}
	return strings.TrimSpace(string(b))
}

// CloudStatus says where one cloud's catalog comes from and how big it is.
type CloudStatus struct {
	Cloud string `json:"cloud"`
	// Source is "embedded snapshot" or the path of the refreshed vms.csv.
	Source   string `json:"source"`
	Embedded bool   `json:"embedded"`
	// Date is the snapshot's date or the refreshed file's modification day.
	Date string `json:"date"`
	// Offers counts instance-type rows; Accelerators GCP's separately
	// priced GPU/TPU rows.
	Offers       int `json:"offers"`
	Accelerators int `json:"accelerators"`
}

// Status reports each cloud's catalog source, date and row counts.
func (c *Catalog) Status() ([]CloudStatus, error) {
	var out []CloudStatus
	for _, name := range Clouds() {
		cc, err := c.Cloud(name)
		if err != nil {
			return nil, err
		}
		out = append(out, statusOf(cc))
	}
	return out, nil
}

// Embedded reports whether cc comes from the snapshot built into skyplan.
func (cc *CloudCatalog) Embedded() bool {
	return cc.Source == "" || strings.HasPrefix(cc.Source, "embedded:")
}

func statusOf(cc *CloudCatalog) CloudStatus {
	s := CloudStatus{Cloud: cc.Name, Offers: len(cc.Offers), Accelerators: len(cc.Accelerators)}
	if cc.Embedded() {
		s.Source, s.Embedded, s.Date = "embedded snapshot", true, SnapshotDate()
		return s
	}
	s.Source = cc.Source
	if fi, err := os.Stat(cc.Source); err == nil {
		s.Date = fi.ModTime().UTC().Format(time.DateOnly)
	}
	return s
}

// Provenance describes cc for messages: "the bundled catalog snapshot of
// 2026-11-25" or "the catalog refreshed on 2026-12-01 (PATH)".
func Provenance(cc *CloudCatalog) string {
	s := statusOf(cc)
	if s.Embedded {
		return "skyplan's bundled catalog snapshot of " + s.Date
	}
	return "the catalog refreshed on " + s.Date + " (" + s.Source + ")"
}
