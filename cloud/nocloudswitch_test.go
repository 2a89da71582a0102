package cloud_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry"
)

// switchExceptions are the files outside cloud/ that may still compare
// cloud or store names, each with the reason. A file listed here that no
// longer has such a comparison fails the test too, so the list shrinks as
// code migrates.
var switchExceptions = map[string]string{
	// Not skyplan clouds: SkyPilot names skyplan parses but never plans on.
	"task/infra.go": "kubernetes/slurm: SkyPilot clouds whose region is a context name; parsed, not registered",
	// Not cloud names: Terraform backend types share the names s3 and gcs.
	"compiler/root.go": "Terraform backend types (s3, gcs, azurerm, local), not clouds or stores",
}

// cloudWords are the names a cloud switch compares against: every
// registered cloud and store, the URI schemes of the stores, and the
// clouds SkyPilot knows that skyplan only parses.
func cloudWords() map[string]bool {
	w := map[string]bool{"kubernetes": true, "slurm": true}
	for _, n := range cloud.Names() {
		w[n] = true
	}
	for _, n := range cloud.StoreNames() {
		w[n] = true
	}
	for _, s := range []string{"s3://", "gs://", "gcs://", "r2://", "azure://", "az://"} {
		w[s] = true
	}
	return w
}

// TestNoCloudSwitchOutsideCloud walks the non-test Go files outside cloud/
// and templates/ and fails on comparisons of cloud or store names: ==/!=
// against a name literal, a switch case on one, a map keyed by one, and
// strings.EqualFold/HasPrefix/Contains with one. Per-cloud behaviour is a
// capability of the cloud's package (cloud/aws, cloud/gcp, ...).
func TestNoCloudSwitchOutsideCloud(t *testing.T) {
	words := cloudWords()
	root := ".."
	found := map[string][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if d.IsDir() {
			switch {
			case p == root:
				return nil
			case rel == "cloud", rel == "templates", strings.HasSuffix(rel, "testdata"), strings.HasPrefix(d.Name(), "."), rel == "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		hits, err := cloudComparisons(p, words)
		if err != nil {
			return err
		}
		if len(hits) > 0 {
			found[rel] = hits
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for f := range found {
		files = append(files, f)
	}
	sort.Strings(files)
	used := map[string]bool{}
	for _, f := range files {
		if ex := exceptionFor(f); ex != "" {
			used[ex] = true
			if strings.HasSuffix(ex, "/") {
				t.Logf("%s (%s): %s", f, switchExceptions[ex], strings.Join(found[f], "; "))
			}
		} else {
			t.Errorf("%s compares cloud names; ask the registry (a cloud capability) instead:\n\t%s", f, strings.Join(found[f], "\n\t"))
		}
	}
	for f, reason := range switchExceptions {
		if reason == "" {
			t.Errorf("exception %s has no reason", f)
		}
		if !used[f] {
			t.Errorf("exception %s (%s) is stale: the file no longer compares cloud names; drop it from switchExceptions", f, reason)
		}
	}
}

// exceptionFor returns the switchExceptions key covering file ("" if none).
func exceptionFor(file string) string {
	if _, ok := switchExceptions[file]; ok {
		return file
	}
	for k := range switchExceptions {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(file, k) {
			return k
		}
	}
	return ""
}

// cloudComparisons lists "line: code" for each cloud-name comparison in a file.
func cloudComparisons(path string, words map[string]bool) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return nil, err
	}
	isWord := func(e ast.Expr) (string, bool) {
		bl, ok := e.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil {
			return "", false
		}
		return s, words[strings.ToLower(s)]
	}
	var hits []string
	hit := func(n ast.Node, what string) {
		hits = append(hits, fmt.Sprintf("line %d: %s", fset.Position(n.Pos()).Line, what))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if n.Op == token.EQL || n.Op == token.NEQ {
				for _, side := range []ast.Expr{n.X, n.Y} {
					if w, ok := isWord(side); ok {
						hit(n, fmt.Sprintf("%s %q", n.Op, w))
					}
				}
			}
		case *ast.CaseClause:
			for _, e := range n.List {
				if w, ok := isWord(e); ok {
					hit(e, fmt.Sprintf("case %q", w))
				}
			}
		case *ast.KeyValueExpr:
			if w, ok := isWord(n.Key); ok {
				hit(n, fmt.Sprintf("map key %q", w))
			}
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "strings" {
				return true
			}
			switch sel.Sel.Name {
			case "EqualFold", "HasPrefix", "Contains", "HasSuffix", "TrimPrefix":
				for _, a := range n.Args {
					if w, ok := isWord(a); ok {
						hit(n, fmt.Sprintf("strings.%s(…, %q)", sel.Sel.Name, w))
					}
				}
			}
		}
		return true
	})
	return hits, nil
}
