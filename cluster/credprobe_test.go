package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/cloudcheck"
	"github.com/skyplan/skyplan/provision"
)

// A terraform failure reaches cloudcheck as a ProviderError carrying the
// first error diagnostic, still unwrapping to the TerraformError.
func TestCredentialProbeErrorCarriesDiagnostic(t *testing.T) {
	te := &provision.TerraformError{Op: "apply", Diagnostics: []tfjson.Diagnostic{
		{Severity: tfjson.DiagnosticSeverityWarning, Summary: "ignored"},
		{Severity: tfjson.DiagnosticSeverityError, Summary: "No valid credential sources found", Detail: "no EC2 IMDS role found"},
	}}
	err := error(&cloudcheck.InitError{Err: withDiagnostic(fmt.Errorf("init: %w", te))})
	var pe cloudcheck.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("%v is not a cloudcheck.ProviderError", err)
	}
	if s, d := pe.ProviderDiagnostic(); s != "No valid credential sources found" || d != "no EC2 IMDS role found" {
		t.Errorf("diagnostic = %q, %q", s, d)
	}
	var back *provision.TerraformError
	if !errors.As(err, &back) || back != te {
		t.Errorf("does not unwrap to the TerraformError")
	}
	plain := errors.New("boom")
	if withDiagnostic(plain) != plain {
		t.Errorf("an error without diagnostics was wrapped")
	}
}

func TestCredentialProberProviderInstalled(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "mirror", "registry.terraform.io", "hashicorp", "google", "6.50.0"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &CredentialProber{tc: &provision.Toolchain{PluginCacheDir: filepath.Join(dir, "cache"), Env: map[string]string{}},
		mirrors: []string{filepath.Join(dir, "none"), filepath.Join(dir, "mirror")}}
	if !p.ProviderInstalled("google") || p.ProviderInstalled("azurerm") {
		t.Errorf("google in the mirror, azurerm nowhere: got %v, %v", p.ProviderInstalled("google"), p.ProviderInstalled("azurerm"))
	}
}
