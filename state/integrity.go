package state

import (
	"database/sql"
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
		"Then `skyplan state rebuild --infra aws` (or aws/REGION) records again the clusters it finds in the cloud by their skyplan-cluster tag. "+
		"Clusters recorded in the old one also still have their Terraform directories in %s: "+
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

// createDBFile makes a missing state.db appear complete or not at all.
// SQLite creates the file empty and writes its header only on the first
// write, so a second skyplan process started at the same moment would see
// 0 bytes and refuse it as corrupt. The database is built under a private
// name and hard-linked into place; link fails if another process won the
// race, and then its file is used.
func createDBFile(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	tmp.Close()
	os.Remove(name) // the driver creates it; CreateTemp only reserved a unique name
	defer os.Remove(name)
	db, err := sql.Open("sqlite", "file:"+name+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	// A new database has nothing to migrate: it starts at the current
	// version, so concurrent first opens do not race in migrateClusters.
	_, err = db.Exec(schema + servicesSchema + retiredSchema + fmt.Sprintf("PRAGMA user_version = %d;", schemaVersion))
	if cerr := db.Close(); err == nil {
		err = cerr // the last close checkpoints the WAL into the file
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := os.Chmod(name, 0o600); err != nil {
		return err
	}
	if err := os.Link(name, path); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return nil
}
