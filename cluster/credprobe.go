package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/cloudcheck"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/skyhome"
)

// toolchainOptions are how a Manager and a CredentialProber find terraform
// and its CLI configuration: the same $SKYPLAN_HOME, environment lookup and
// (when set) child environment. os.Getenv and os.Environ() when nil.
func toolchainOptions(home string, getenv func(string) string, environ []string) provision.ToolchainOptions {
	return provision.ToolchainOptions{Home: home, Getenv: getenv, Environ: environ}
}

// CredentialProber runs `skyplan check`'s credential probes (tiny
// who-am-I root modules) with the toolchain cluster operations use, so
// credentials are verified by the code that will use them. It is a
// cloudcheck.Prober; cli passes CredentialProbe as cloudcheck.Options.Prober,
// so cloudcheck never imports provision.
type CredentialProber struct {
	tc      *provision.Toolchain
	mirrors []string
}

var (
	_ cloudcheck.Prober    = (*CredentialProber)(nil)
	_ cloudcheck.NewProber = CredentialProbe
)

// CredentialProbe is NewCredentialProber as a cloudcheck.NewProber.
func CredentialProbe(ctx context.Context, home string, environ []string) (cloudcheck.Prober, error) {
	p, err := NewCredentialProber(ctx, home, environ)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// NewCredentialProber finds terraform for $SKYPLAN_HOME home and the
// environment environ (os.Environ() when nil) terraform runs with.
func NewCredentialProber(ctx context.Context, home string, environ []string) (*CredentialProber, error) {
	getenv := os.Getenv
	if environ != nil {
		vars := map[string]string{}
		for _, kv := range environ {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		getenv = func(k string) string { return vars[k] }
	}
	opts := toolchainOptions(home, getenv, environ)
	tc, err := provision.NewToolchain(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &CredentialProber{tc: tc, mirrors: provision.DefaultMirrors(getenv)}, nil
}

// ProviderInstalled reports whether a filesystem mirror or the plugin cache
// holds hashicorp/<provider>, so init needs no network.
func (p *CredentialProber) ProviderInstalled(provider string) bool {
	dirs := append(append([]string(nil), p.mirrors...), p.tc.PluginCacheDir, p.tc.Env["TF_PLUGIN_CACHE_DIR"])
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if matches, _ := filepath.Glob(filepath.Join(d, "registry.terraform.io", "hashicorp", provider, "*")); len(matches) > 0 {
			return true
		}
	}
	return false
}

// probeError is a terraform failure with an error diagnostic: the
// provider's own words, for a one-line reason.
type probeError struct {
	err             error
	summary, detail string
}

func (e *probeError) Error() string                        { return e.err.Error() }
func (e *probeError) Unwrap() error                        { return e.err }
func (e *probeError) ProviderDiagnostic() (string, string) { return e.summary, e.detail }

// withDiagnostic wraps a terraform failure so its first error diagnostic
// can be read without the provision package.
func withDiagnostic(err error) error {
	var te *provision.TerraformError
	if errors.As(err, &te) {
		for _, d := range te.Diagnostics {
			if d.Severity == tfjson.DiagnosticSeverityError {
				return &probeError{err: err, summary: d.Summary, detail: d.Detail}
			}
		}
	}
	return err
}

// Run writes mainTF as dir/main.tf, initialises and applies it, and returns
// its outputs.
func (p *CredentialProber) Run(ctx context.Context, dir string, mainTF []byte) (map[string]string, error) {
	if err := skyhome.WriteFileAtomic(filepath.Join(dir, "main.tf"), mainTF, 0o644); err != nil {
		return nil, err
	}
	ws, err := p.tc.Workspace(dir, io.Discard, false)
	if err != nil {
		return nil, err
	}
	if err := ws.Init(ctx); err != nil {
		return nil, &cloudcheck.InitError{Err: withDiagnostic(err)}
	}
	if _, err := ws.Apply(ctx, ""); err != nil {
		return nil, withDiagnostic(err)
	}
	st, err := ws.ShowState(ctx)
	if err != nil {
		return nil, withDiagnostic(err)
	}
	out := map[string]string{}
	if st.Values != nil {
		for k, o := range st.Values.Outputs {
			if o != nil && o.Value != nil {
				out[k] = fmt.Sprint(o.Value)
			}
		}
	}
	return out, nil
}
