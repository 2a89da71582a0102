package provision

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/compiler"
)

// Identity is where a cluster directory's resources live and the tag they
// carry, read from the files the compiler wrote (not from state.db, which
// may have lost the record).
type Identity struct {
	Cloud  string
	Region string
	Tag    string // skyplan-cluster tag value: the cloud-safe cluster name
}

// DirIdentity reads dir's root variables and module. ok is false when dir
// holds no compiled cluster root.
func DirIdentity(dir string) (Identity, bool) {
	b, err := os.ReadFile(filepath.Join(dir, compiler.VarsFile))
	if err != nil {
		return Identity{}, false
	}
	var vars struct {
		Region      string `json:"region"`
		ClusterName string `json:"cluster_name"`
	}
	if json.Unmarshal(b, &vars) != nil || vars.ClusterName == "" {
		return Identity{}, false
	}
	id := Identity{Region: vars.Region, Tag: vars.ClusterName}
	ents, _ := os.ReadDir(filepath.Join(dir, "modules"))
	for _, e := range ents {
		if e.IsDir() {
			id.Cloud = e.Name()
		}
	}
	return id, id.Cloud != ""
}
