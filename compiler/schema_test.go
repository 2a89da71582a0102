package compiler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// The google and azurerm providers are not available offline, so their HCL
// is checked against the extracted provider schemas in
// ../shared/provider-schemas (google 6.50.0 + google-beta, azurerm 4.81.0).

type schemaAttr struct {
	Required bool   `json:"required"`
	Type     string `json:"type"`
}

type schemaBlock struct {
	Required   bool                   `json:"required"`
	Min        int                    `json:"min"`
	Max        *int                   `json:"max"`
	Meta       bool                   `json:"meta"`
	AttrSyntax bool                   `json:"attribute_syntax_allowed"`
	Attributes map[string]schemaAttr  `json:"attributes"`
	Blocks     map[string]schemaBlock `json:"blocks"`
}

type schemaResource struct {
	schemaBlock
	ProviderSource string   `json:"provider_source"`
	Exported       []string `json:"exported_attributes"`
	BetaOnly       []string `json:"google_beta_only_arguments"`
}

type schemaFile struct {
	Resources map[string]schemaResource `json:"resources"`
}

func schemaDir() string {
	for _, d := range []string{"../../shared/provider-schemas", "/work/shared/provider-schemas"} {
		if _, err := os.Stat(filepath.Join(d, "google.json")); err == nil {
			return d
		}
	}
	return ""
}

func loadSchemas(t *testing.T) map[string]schemaResource {
	t.Helper()
	dir := schemaDir()
	if dir == "" {
		t.Skip("../shared/provider-schemas not found")
	}
	all := map[string]schemaResource{}
	for _, f := range []string{"google.json", "azurerm.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		var sf schemaFile
		if err := json.Unmarshal(b, &sf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range sf.Resources {
			all[k] = v
		}
	}
	// Node identity types ../shared lacks, from the providers' doc pages
	// (testdata/provider-schemas/supplement.json); ../shared wins.
	b, err := os.ReadFile(filepath.Join("..", "testdata", "provider-schemas", "supplement.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sup schemaFile
	if err := json.Unmarshal(b, &sup); err != nil {
		t.Fatalf("supplement.json: %v", err)
	}
	for k, v := range sup.Resources {
		if _, ok := all[k]; !ok {
			all[k] = v
		}
	}
	return all
}

var metaArgs = map[string]bool{"count": true, "for_each": true, "provider": true, "depends_on": true}
var metaBlocks = map[string]bool{"lifecycle": true, "provisioner": true, "connection": true}

// checkBody reports every argument and nested block of body that the
// schema block s does not accept, and every required one that is missing.
func checkBody(where string, body *hclsyntax.Body, s schemaBlock, exported map[string]bool, path string, top bool) []string {
	var errs []string
	for name, attr := range body.Attributes {
		if top && metaArgs[name] {
			continue
		}
		full := strings.TrimPrefix(path+"."+name, ".")
		if _, ok := s.Attributes[name]; ok {
			if exported[full] {
				errs = append(errs, fmt.Sprintf("%s: %s is computed-only and cannot be set", where, full))
			}
			continue
		}
		if b, ok := s.Blocks[name]; ok && b.AttrSyntax {
			continue
		}
		if _, ok := s.Blocks[name]; ok {
			errs = append(errs, fmt.Sprintf("%s:%d: %s is a block, written as an attribute", where, attr.SrcRange.Start.Line, full))
			continue
		}
		errs = append(errs, fmt.Sprintf("%s:%d: unknown argument %s", where, attr.SrcRange.Start.Line, full))
	}
	seen := map[string]bool{}
	for _, blk := range body.Blocks {
		name, content := blk.Type, blk.Body
		if top && metaBlocks[name] {
			continue
		}
		if name == "dynamic" {
			if len(blk.Labels) != 1 {
				errs = append(errs, fmt.Sprintf("%s: dynamic block without a label", where))
				continue
			}
			name = blk.Labels[0]
			content = nil
			for _, inner := range blk.Body.Blocks {
				if inner.Type == "content" {
					content = inner.Body
				}
			}
			if content == nil {
				errs = append(errs, fmt.Sprintf("%s: dynamic %q has no content block", where, name))
				continue
			}
		}
		full := strings.TrimPrefix(path+"."+name, ".")
		seen[name] = true
		nb, ok := s.Blocks[name]
		if !ok {
			if _, isAttr := s.Attributes[name]; isAttr {
				errs = append(errs, fmt.Sprintf("%s:%d: %s is an attribute, written as a block", where, blk.TypeRange.Start.Line, full))
			} else {
				errs = append(errs, fmt.Sprintf("%s:%d: unknown block %s", where, blk.TypeRange.Start.Line, full))
			}
			continue
		}
		errs = append(errs, checkBody(where, content, nb, exported, full, false)...)
	}
	for name, a := range s.Attributes {
		if a.Required {
			if _, ok := body.Attributes[name]; !ok {
				errs = append(errs, fmt.Sprintf("%s: missing required argument %s", where, strings.TrimPrefix(path+"."+name, ".")))
			}
		}
	}
	for name, b := range s.Blocks {
		if (b.Required || b.Min > 0) && !b.Meta && !seen[name] {
			errs = append(errs, fmt.Sprintf("%s: missing required block %s", where, strings.TrimPrefix(path+"."+name, ".")))
		}
	}
	return errs
}

// checkDirAgainstSchemas parses every .tf file under dir and checks each
// google_*/azurerm_* resource and each reference to one.
func checkDirAgainstSchemas(t *testing.T, dir string, schemas map[string]schemaResource) (checked int, errs []string) {
	t.Helper()
	parser := hclparse.NewParser()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		f, diags := parser.ParseHCLFile(p)
		if diags.HasErrors() {
			errs = append(errs, diags.Error())
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		body := f.Body.(*hclsyntax.Body)
		for _, blk := range body.Blocks {
			if blk.Type != "resource" || len(blk.Labels) != 2 {
				continue
			}
			typ := blk.Labels[0]
			if !strings.HasPrefix(typ, "google_") && !strings.HasPrefix(typ, "azurerm_") {
				continue
			}
			where := fmt.Sprintf("%s:%d %s.%s", rel, blk.TypeRange.Start.Line, typ, blk.Labels[1])
			rs, ok := schemas[typ]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s: resource type not in the provider schema", where))
				continue
			}
			checked++
			exported := map[string]bool{}
			for _, e := range rs.Exported {
				exported[e] = true
			}
			errs = append(errs, checkBody(where, blk.Body, rs.schemaBlock, exported, "", true)...)
			if rs.ProviderSource == "hashicorp/google-beta" || usesAny(blk.Body, rs.BetaOnly) {
				if !providerIs(blk.Body, "google-beta") {
					errs = append(errs, fmt.Sprintf("%s: needs provider = google-beta", where))
				}
			}
		}
		// References such as azurerm_public_ip.node[0].ip_address must name
		// something the resource exposes.
		hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			ste, ok := n.(*hclsyntax.ScopeTraversalExpr)
			if !ok {
				return nil
			}
			errs = append(errs, checkReference(rel, ste.Traversal, schemas)...)
			return nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return checked, errs
}

func providerIs(body *hclsyntax.Body, name string) bool {
	a, ok := body.Attributes["provider"]
	if !ok {
		return false
	}
	ste, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr)
	return ok && ste.Traversal.RootName() == name
}

func usesAny(body *hclsyntax.Body, paths []string) bool {
	for _, p := range paths {
		if !strings.Contains(p, ".") {
			if _, ok := body.Attributes[p]; ok {
				return true
			}
		}
	}
	return false
}

func checkReference(file string, tr hcl.Traversal, schemas map[string]schemaResource) []string {
	rs, ok := schemas[tr.RootName()]
	if !ok || len(tr) < 2 {
		return nil
	}
	// type.name[index].attr: find the first attribute step after the name.
	var attr string
	for _, step := range tr[2:] {
		if a, ok := step.(hcl.TraverseAttr); ok {
			attr = a.Name
			break
		}
	}
	if attr == "" {
		return nil
	}
	if _, ok := rs.Attributes[attr]; ok {
		return nil
	}
	if _, ok := rs.Blocks[attr]; ok {
		return nil
	}
	for _, e := range rs.Exported {
		if e == attr {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s:%d: %s has no attribute %q", file, tr.SourceRange().Start.Line, tr.RootName(), attr)}
}

func TestGCPAzureAgainstProviderSchemas(t *testing.T) {
	schemas := loadSchemas(t)
	cases := goldenCases()
	names := make([]string, 0)
	for n, in := range cases {
		if in.Placement.Cloud != "aws" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	types := map[string]bool{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeCase(t, name, dir)
			n, errs := checkDirAgainstSchemas(t, dir, schemas)
			if n == 0 {
				t.Fatal("no google/azurerm resources found")
			}
			for _, e := range errs {
				t.Error(e)
			}
		})
		types[cases[name].Placement.Cloud] = true
	}
	if !types["gcp"] || !types["azure"] {
		t.Fatalf("cases cover %v; need gcp and azure", types)
	}
}

// The checker itself must catch the mistakes it exists for.
func TestSchemaCheckerCatchesMistakes(t *testing.T) {
	schemas := loadSchemas(t)
	dir := t.TempDir()
	bad := `
resource "google_compute_instance" "x" {
  name         = "a"
  not_an_arg   = 1
  boot_disk {
    initialize_params {
      size = 10
    }
  }
  metadata {
    a = "b"
  }
  guest_accelerator = []
}
resource "google_tpu_v2_vm" "t" {
  name            = "t"
  runtime_version = "tpu-vm-base"
}
resource "azurerm_not_a_type" "y" {}
output "o" { value = azurerm_public_ip.p.no_such_attr }
`
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(bad), 0o644)
	_, errs := checkDirAgainstSchemas(t, dir, schemas)
	all := strings.Join(errs, "\n")
	for _, want := range []string{
		"unknown argument not_an_arg",
		"missing required argument machine_type",
		"missing required block network_interface",
		"metadata is an attribute, written as a block",
		"needs provider = google-beta",
		"resource type not in the provider schema",
		`no attribute "no_such_attr"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("checker missed %q; got:\n%s", want, all)
		}
	}
}
