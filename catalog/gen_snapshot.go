//go:build ignore

// gen_snapshot rebuilds catalog/data (the catalog snapshot embedded in the
// binary) from a directory of SkyPilot v8 CSVs.
//
// Usage (from catalog/): go run gen_snapshot.go -from ../../shared/catalogs
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/skyplan/skyplan/catalog"
)

func main() {
	from := flag.String("from", "../../shared/catalogs", "directory holding <cloud>/*.csv")
	to := flag.String("to", "data", "output directory")
	flag.Parse()
	if err := catalog.WriteSnapshot(*from, *to); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
