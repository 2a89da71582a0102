package compiler

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/cloud"
)

// TestLockFileFormat: one block per provider, sorted hashes one a line,
// Terraform's own header; nothing when a provider cannot be hashed (a
// partial lock would make init refuse the missing provider's package).
func TestLockFileFormat(t *testing.T) {
	hashes := func(source, version string) ([]string, bool) {
		if source == "hashicorp/google" {
			return nil, false
		}
		return []string{"zh:bbb", "h1:aaa="}, true
	}
	got := string(lockFile([]cloud.Provider{{Name: "aws", Source: "hashicorp/aws", Version: "5.100.0"}}, hashes))
	want := `# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = "5.100.0"
  hashes = [
    "h1:aaa=",
    "zh:bbb",
  ]
}
`
	if got != want {
		t.Errorf("lock file:\n%s\nwant:\n%s", got, want)
	}
	if b := lockFile([]cloud.Provider{{Source: "hashicorp/aws", Version: "1"}, {Source: "hashicorp/google", Version: "2"}}, hashes); b != nil {
		t.Errorf("lock file with an unhashable provider:\n%s", b)
	}
	if b := lockFile([]cloud.Provider{{Source: "hashicorp/aws", Version: "1"}}, nil); b != nil {
		t.Errorf("lock file without hashes:\n%s", b)
	}
}

// TestWriteDirKeepsLockFile: a lock file in the directory (the team's,
// with more platforms) is neither overwritten nor removed as stale.
func TestWriteDirKeepsLockFile(t *testing.T) {
	dir := t.TempDir()
	m := &Module{Files: map[string][]byte{MainFile: []byte("# a\n"), LockFile: []byte("# generated\n")}}
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockFile)); string(b) != "# generated\n" {
		t.Fatalf("first write: lock file %q", b)
	}
	os.WriteFile(filepath.Join(dir, LockFile), []byte("# the team's\n"), 0o644)
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, LockFile)); string(b) != "# the team's\n" {
		t.Errorf("rewrite replaced the team's lock file: %q", b)
	}
	delete(m.Files, LockFile) // no mirror this time
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err != nil {
		t.Errorf("lock file removed as stale: %v", err)
	}
	if man, _ := os.ReadFile(filepath.Join(dir, manifestFile)); strings.Contains(string(man), LockFile) {
		t.Errorf("manifest lists a lock file this compile did not generate:\n%s", man)
	}
}

// TestLockFileFromMirrorIsTerraformsOwn: with the offline AWS mirror, both
// roots of a compiled module carry a lock file byte-identical to what
// `terraform providers lock -fs-mirror` writes, listed in the manifest,
// and terraform init accepts it without changing a byte (a wrong hash
// fails init).
func TestLockFileFromMirrorIsTerraformsOwn(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes the provider and runs terraform")
	}
	bin := terraformBin(t)
	mirror := awsMirror()
	if mirror == "" {
		t.Skip("no hashicorp/aws provider mirror found")
	}
	env := tfEnv(t, mirror)
	in := goldenCases()["aws-buckets"]
	in.ProviderHashes = MirrorHashes([]string{mirror}, runtime.GOOS+"_"+runtime.GOARCH, filepath.Join(t.TempDir(), "hashes.json"))
	m := compileCase(t, "aws-buckets", in)
	dir := t.TempDir()
	if err := m.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	man, _ := os.ReadFile(filepath.Join(dir, manifestFile))
	ref := t.TempDir()
	os.WriteFile(filepath.Join(ref, "main.tf"), []byte("terraform {\n  required_providers {\n    aws = {\n      source  = \"hashicorp/aws\"\n      version = \"5.100.0\"\n    }\n  }\n}\n"), 0o644)
	runTF(t, bin, ref, env, "providers", "lock", "-fs-mirror="+mirror, "-platform="+runtime.GOOS+"_"+runtime.GOARCH)
	want, err := os.ReadFile(filepath.Join(ref, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{"", "buckets/"} {
		got := m.Files[root+LockFile]
		if !bytes.Equal(got, want) {
			t.Errorf("%s%s:\n%s\nterraform providers lock wrote:\n%s", root, LockFile, got, want)
		}
		if !strings.Contains(string(man), root+LockFile+"\n") {
			t.Errorf("manifest lacks %s%s:\n%s", root, LockFile, man)
		}
		rdir := filepath.Join(dir, root)
		runTF(t, bin, rdir, env, "init", "-input=false", "-backend=false", "-no-color")
		if after, _ := os.ReadFile(filepath.Join(rdir, LockFile)); !bytes.Equal(after, got) {
			t.Errorf("terraform init rewrote %s%s:\n%s", root, LockFile, after)
		}
	}
}
