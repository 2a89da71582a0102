//go:build ignore

// gen_snapshot copies SkyPilot v8 catalog CSVs into catalog/data as
// deterministic gzip files (no name or mtime in the header), so the embedded
// snapshot only changes when the price data changes.
//
// Usage (from catalog/): go run gen_snapshot.go -from ../../shared/catalogs
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

var files = []string{
	"aws/vms.csv", "aws/images.csv", "aws/az_mappings.csv",
	"gcp/vms.csv",
	"azure/vms.csv",
}

func main() {
	from := flag.String("from", "../../shared/catalogs", "directory holding <cloud>/*.csv")
	to := flag.String("to", "data", "output directory")
	flag.Parse()
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(*from, f))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(raw); err != nil {
			panic(err)
		}
		if err := zw.Close(); err != nil {
			panic(err)
		}
		out := filepath.Join(*to, filepath.Dir(f), filepath.Base(f)+".gz")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			panic(err)
		}
		fmt.Printf("%s: %d bytes -> %d bytes\n", out, len(raw), buf.Len())
	}
}
