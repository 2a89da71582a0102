package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// StatusCorrupt marks a cluster whose record cannot be read; ListClusters
// returns it (named, with the reason in Extra["corrupt"]) instead of
// failing for every cluster.
const StatusCorrupt Status = "CORRUPT"

// ErrCorruptRecord is wrapped by GetCluster for an unreadable record.
var ErrCorruptRecord = errors.New("corrupt record")

// CorruptDBError: state.db exists but is not a complete SQLite database
// (0 bytes, truncated, garbage). skyplan never overwrites it: a new, empty
// database would silently forget clusters that still run.
type CorruptDBError struct {
	Path   string
	Reason string
}

func (e *CorruptDBError) Error() string {
	dir := filepath.Dir(e.Path)
	return fmt.Sprintf("the state database %s %s. skyplan will not use or overwrite it.\n"+
		"Fix: move it aside (mv %s %s.broken) and run the command again; skyplan starts a new database. "+
		"Clusters recorded in the old one still have their Terraform directories in %s: "+
		"`skyplan down NAME -y` for each of them destroys what exists in the cloud, found by the skyplan-cluster tag, without a record.",
		e.Path, e.Reason, e.Path, e.Path, filepath.Join(dir, "clusters"))
}

// sqliteHeader is the first 16 bytes of every SQLite 3 database file.
const sqliteHeader = "SQLite format 3\x00"

// checkDBFile refuses a state.db that is not a complete SQLite database
// before the driver sees it (the driver treats a 0-byte file as a new
// database and would write a fresh schema into it).
func checkDBFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return &CorruptDBError{Path: path, Reason: "is empty (0 bytes; a copy or a disk-full write was cut short)"}
	}
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	if n < len(sqliteHeader) || string(hdr[:len(sqliteHeader)]) != sqliteHeader {
		return &CorruptDBError{Path: path, Reason: fmt.Sprintf("is not an SQLite database (%d bytes of something else)", st.Size())}
	}
	if n < 100 {
		return &CorruptDBError{Path: path, Reason: fmt.Sprintf("is truncated (%d bytes, shorter than the SQLite header)", st.Size())}
	}
	pageSize := int64(binary.BigEndian.Uint16(hdr[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(hdr[28:32]))
	// The in-header size is valid only when its change counter matches
	// (SQLite file format, "in-header database size").
	valid := binary.BigEndian.Uint32(hdr[24:28]) == binary.BigEndian.Uint32(hdr[92:96])
	if valid && pages > 0 && st.Size() < pages*pageSize {
		return &CorruptDBError{Path: path, Reason: fmt.Sprintf("is truncated (%d bytes, its header says %d pages of %d bytes)", st.Size(), pages, pageSize)}
	}
	return nil
}
