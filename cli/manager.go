package cli

import (
	"github.com/skyplan/skyplan/cluster"
	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
)

// openManager builds the cluster manager the cluster commands call, with
// progress on stderr. Commands that only read or destroy (status, down,
// queue, logs, cancel) work without a valid config; the others refuse a
// broken one first.
func openManager(io *IO, needConfig bool) (*cluster.Manager, func(), error) {
	var cfg config.Config
	if needConfig {
		var err error
		if cfg, err = loadConfig(); err != nil {
			return nil, nil, err
		}
	} else if c, err := loadConfig(); err == nil {
		cfg = c
	}
	store, err := openStore()
	if err != nil {
		return nil, nil, Exit(ExitFailure, diag.Diagnostics{}.Append(err))
	}
	cat, _ := loadCatalog()
	m, err := cluster.New(cluster.Options{Store: store, Config: cfg, Log: io.Err, LogTTY: io.ErrTTY,
		Getenv: io.Environ, Catalog: cat, Version: Version, HTTPClient: io.HTTPClient})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return m, func() { store.Close() }, nil
}
