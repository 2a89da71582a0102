package cli

import (
	"sync"

	"github.com/skyplan/skyplan/catalog"
	"github.com/skyplan/skyplan/skyhome"
)

func init() {
	// The task parser canonicalises accelerator names (a10g → A10G)
	// against every name the catalogs offer.
	knownAccelerators = func() []string {
		cat, err := loadCatalog()
		if err != nil {
			return nil
		}
		return cat.AcceleratorNames()
	}
}

var catalogCache struct {
	sync.Mutex
	dir string
	cat *catalog.Catalog
}

// loadCatalog returns the process's catalog, shared by the task parser and
// the optimizer so a refreshed copy under $SKYPLAN_HOME is parsed once. It
// is reloaded when $SKYPLAN_HOME changes (in-process tests).
func loadCatalog() (*catalog.Catalog, error) {
	catalogCache.Lock()
	defer catalogCache.Unlock()
	dir := skyhome.Path("catalogs")
	if catalogCache.cat != nil && catalogCache.dir == dir {
		return catalogCache.cat, nil
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	catalogCache.dir, catalogCache.cat = dir, cat
	return cat, nil
}
