package cloudcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/skyplan/skyplan/skyhome"
)

// CacheFile is the cache of the last `skyplan check` under $SKYPLAN_HOME.
const CacheFile = "enabled_clouds.json"

// Cache is the content of enabled_clouds.json.
type Cache struct {
	// Clouds is the enabled set, in Clouds order.
	Clouds []string `json:"clouds"`
	// CheckedAt is when the newest check ran.
	CheckedAt time.Time `json:"checked_at"`
	// Results keeps each cloud's last verdict (with its own check time), so
	// `skyplan check gcp` does not forget what an earlier `check aws` found.
	Results []CachedResult `json:"results"`
}

// CachedResult is one cloud's verdict and when it was reached.
type CachedResult struct {
	Result
	CheckedAt time.Time `json:"checked_at"`
}

// CachePath is the cache file of the home directory in use.
func CachePath() string { return skyhome.Path(CacheFile) }

// ReadCache reads path; ok is false when the file does not exist.
func ReadCache(path string) (c Cache, ok bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Cache{}, false, nil
	}
	if err != nil {
		return Cache{}, false, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return Cache{}, false, fmt.Errorf("%s is corrupt (%v); run `skyplan check` to rewrite it", path, err)
	}
	return c, true, nil
}

// SaveResults merges results into the cache at path (replacing the verdicts
// of the clouds just checked) and writes it atomically.
func SaveResults(path string, results []Result, now time.Time) (Cache, error) {
	old, _, err := ReadCache(path)
	if err != nil {
		old = Cache{} // a corrupt cache is replaced, not fatal
	}
	byCloud := map[string]CachedResult{}
	for _, r := range old.Results {
		byCloud[r.Cloud] = r
	}
	for _, r := range results {
		byCloud[r.Cloud] = CachedResult{Result: r, CheckedAt: now.UTC()}
	}
	c := Cache{Clouds: []string{}, CheckedAt: now.UTC()}
	for _, cloud := range Clouds {
		r, ok := byCloud[cloud]
		if !ok {
			continue
		}
		c.Results = append(c.Results, r)
		if r.Enabled {
			c.Clouds = append(c.Clouds, cloud)
		}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return c, err
	}
	return c, skyhome.WriteFileAtomic(path, append(data, '\n'), 0o644)
}

// EnabledClouds returns the clouds the last `skyplan check` enabled. known
// is false when check never ran (or its cache is unreadable): callers then
// consider every cloud, as SkyPilot does before its first check. Pass the
// result as optimizer.Options.EnabledClouds when known.
func EnabledClouds() (clouds []string, known bool) {
	c, ok, err := ReadCache(CachePath())
	if !ok || err != nil {
		return nil, false
	}
	return c.Clouds, true
}
