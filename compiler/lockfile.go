package compiler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/mod/sumdb/dirhash"
)

// LockFile is Terraform's dependency lock file. The compiler writes it for
// the providers a root pins when every one of them can be hashed from a
// local filesystem mirror (Input.ProviderHashes), so a team commits a lock
// from the first compile; WriteDir never overwrites one that exists
// (terraform init and `terraform providers lock` maintain it from then on).
const LockFile = ".terraform.lock.hcl"

// ProviderHashes returns the lock-file hashes of provider source
// ("hashicorp/aws") at version, or ok=false when it is not available.
type ProviderHashes func(source, version string) (hashes []string, ok bool)

// lockFile renders the lock file of providers exactly as terraform init
// writes it (header, address, version, constraints, sorted hashes), so an
// init that verifies the hashes leaves it byte-identical. nil when a
// provider cannot be hashed.
func lockFile(providers []cloud.Provider, hashes ProviderHashes) []byte {
	if hashes == nil || len(providers) == 0 {
		return nil
	}
	ps := append([]cloud.Provider(nil), providers...)
	sort.Slice(ps, func(i, j int) bool { return providerAddr(ps[i].Source) < providerAddr(ps[j].Source) })
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	for i, p := range ps {
		hs, ok := hashes(p.Source, p.Version)
		if !ok || len(hs) == 0 {
			return nil
		}
		hs = append([]string(nil), hs...)
		sort.Strings(hs)
		if i > 0 {
			b.AppendNewline()
		}
		pb := b.AppendNewBlock("provider", []string{providerAddr(p.Source)}).Body()
		pb.SetAttributeValue("version", cty.StringVal(p.Version))
		pb.SetAttributeValue("constraints", cty.StringVal(p.Version))
		// One hash a line, as Terraform writes them.
		toks := hclwrite.Tokens{&hclwrite.Token{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")}, &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")}}
		for _, h := range hs {
			toks = append(toks, hclwrite.TokensForValue(cty.StringVal(h))...)
			toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenComma, Bytes: []byte(",")}, &hclwrite.Token{Type: hclsyntax.TokenNewline, Bytes: []byte("\n")})
		}
		toks = append(toks, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
		pb.SetAttributeRaw("hashes", toks)
	}
	return append([]byte("# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n\n"), hclwrite.Format(f.Bytes())...)
}

// providerAddr is the provider's fully qualified address.
func providerAddr(source string) string {
	if strings.Count(source, "/") == 1 {
		return "registry.terraform.io/" + source
	}
	return source
}

var mirrorHashCache sync.Map // package dir + size + mtime → h1 hash

// MirrorHashes hashes providers found in filesystem mirrors (Terraform's
// HOST/NAMESPACE/TYPE/VERSION/OS_ARCH layout, unpacked or as the
// terraform-provider-TYPE_VERSION_OS_ARCH.zip of the packed layout): the
// "h1:" hash Terraform records for a package, dirhash's Hash1 over the
// unpacked directory or over the zip's contents. Only this platform's
// package is hashed; other platforms are added with `terraform providers
// lock -platform=...` (docs/review.md).
//
// cacheFile (optional) keeps the hashes across processes, keyed by package
// path, size and modification time: hashing a 700 MB provider takes seconds.
func MirrorHashes(mirrors []string, platform, cacheFile string) ProviderHashes {
	return func(source, version string) ([]string, bool) {
		addr := providerAddr(source)
		typ := addr[strings.LastIndex(addr, "/")+1:]
		for _, m := range mirrors {
			base := filepath.Join(m, filepath.FromSlash(addr), version)
			if h, ok := cachedHash(filepath.Join(base, platform), false, cacheFile); ok {
				return []string{h}, true
			}
			zip := filepath.Join(m, filepath.FromSlash(addr), fmt.Sprintf("terraform-provider-%s_%s_%s.zip", typ, version, platform))
			if h, ok := cachedHash(zip, true, cacheFile); ok {
				return []string{h}, true
			}
		}
		return nil, false
	}
}

func cachedHash(path string, zip bool, cacheFile string) (string, bool) {
	st, err := os.Stat(path)
	if err != nil || st.IsDir() == zip {
		return "", false
	}
	// A directory's key is its largest file (the provider binary).
	size, mtime := st.Size(), st.ModTime()
	if !zip {
		ents, _ := os.ReadDir(path)
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.Size() > size {
				size, mtime = fi.Size(), fi.ModTime()
			}
		}
	}
	key := fmt.Sprintf("%s %d %d", path, size, mtime.UnixNano())
	if h, ok := mirrorHashCache.Load(key); ok {
		return h.(string), true
	}
	disk := map[string]string{}
	if cacheFile != "" {
		if b, err := os.ReadFile(cacheFile); err == nil {
			_ = json.Unmarshal(b, &disk)
		}
		if h, ok := disk[key]; ok && strings.HasPrefix(h, "h1:") {
			mirrorHashCache.Store(key, h)
			return h, true
		}
	}
	var h string
	if zip {
		h, err = dirhash.HashZip(path, dirhash.Hash1)
	} else {
		h, err = dirhash.HashDir(path, "", dirhash.Hash1)
	}
	if err != nil {
		return "", false
	}
	mirrorHashCache.Store(key, h)
	if cacheFile != "" {
		disk[key] = h
		if b, err := json.MarshalIndent(disk, "", "  "); err == nil && os.MkdirAll(filepath.Dir(cacheFile), 0o755) == nil {
			_ = skyhome.WriteFileAtomic(cacheFile, append(b, '\n'), 0o644)
		}
	}
	return h, true
}
