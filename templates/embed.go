// Package templates embeds skyplan's hand-written Terraform modules, one per
// cloud. They are the only place cloud resources are described; the compiler
// copies them into a root module's modules/<cloud> directory and calls them.
package templates

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed aws gcp azure
var modules embed.FS

// Clouds lists the clouds that have a module here: the embedded
// directories, read from the embed, not a second hand-kept list.
var Clouds = moduleDirs()

func moduleDirs() []string {
	entries, _ := fs.ReadDir(modules, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// Module returns the files of cloud's cluster module (README and .tf
// files, nested buckets module included), rooted at the module directory.
// The controller module beside it (ControllerDir) is not part of it: a
// cluster root never carries the controller's HCL.
func Module(cloud string) (fs.FS, error) {
	sub, err := fs.Sub(modules, cloud)
	if err != nil {
		return nil, err
	}
	return withoutDir{sub, ControllerDir}, nil
}

// ControllerDir is the subdirectory of a cloud's templates holding the
// controller VM module (templates/<cloud>/controller).
const ControllerDir = "controller"

// Controller returns cloud's controller VM module (ok false when the cloud
// has none): main root module and its volume/ sub-root.
func Controller(cloud string) (fs.FS, bool) {
	sub, err := fs.Sub(modules, cloud+"/"+ControllerDir)
	if err != nil {
		return nil, false
	}
	if _, err := fs.Stat(sub, "main.tf"); err != nil {
		return nil, false
	}
	return sub, true
}

// withoutDir hides one top-level directory of an fs.FS.
type withoutDir struct {
	fs.FS
	dir string
}

func (w withoutDir) Open(name string) (fs.File, error) {
	if name == w.dir || strings.HasPrefix(name, w.dir+"/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := w.FS.Open(name)
	if err != nil || name != "." {
		return f, err
	}
	return rootDir{f.(fs.ReadDirFile), w.dir}, nil
}

// rootDir filters the hidden directory out of the root's listing.
type rootDir struct {
	fs.ReadDirFile
	dir string
}

func (r rootDir) ReadDir(n int) ([]fs.DirEntry, error) {
	all, err := r.ReadDirFile.ReadDir(n)
	out := all[:0]
	for _, e := range all {
		if e.Name() != r.dir {
			out = append(out, e)
		}
	}
	return out, err
}

// Files returns every file of cloud's module as relative path → content, in
// no particular order (callers sort when they need to).
func Files(cloud string) (map[string][]byte, error) { return FilesOf(Module(cloud)) }

// FilesOf returns every file of a module tree (any fs.FS, e.g. a cloud's
// cloud.Module.ModuleFiles) as relative path → content.
func FilesOf(sub fs.FS, err error) (map[string][]byte, error) {
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		out[p] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fs.ErrNotExist
	}
	return out, nil
}

//go:embed sweep
var sweeps embed.FS

// Sweep returns cloud's tag-sweep root (sweep/<cloud>.tf): data sources
// that list every resource carrying a cluster's skyplan-cluster tag and
// import blocks that bring the ones its state lacks under Terraform, so a
// destroy removes them. ok is false for a cloud without one.
func Sweep(cloud string) (src []byte, ok bool) {
	b, err := sweeps.ReadFile("sweep/" + cloud + ".tf")
	return b, err == nil
}

//go:embed find
var finds embed.FS

// Find returns cloud's find module (find/<cloud>.tf): it reads one
// region's instances that carry a skyplan-cluster tag (output
// "instances"), for `skyplan state rebuild`. ok is false for a cloud
// without one.
func Find(cloud string) (src []byte, ok bool) {
	b, err := finds.ReadFile("find/" + cloud + ".tf")
	return b, err == nil
}
