package cloudcheck

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

type fakeProviderError struct{ summary, detail string }

func (e *fakeProviderError) Error() string                        { return "terraform apply: " + e.summary }
func (e *fakeProviderError) ProviderDiagnostic() (string, string) { return e.summary, e.detail }

// fakeProber answers from fields: which providers are installed, what Run
// returns, and records the roots it was given.
type fakeProber struct {
	installed map[string]bool
	outs      map[string]string
	err       error
	ran       map[string]string // dir → main.tf
}

func (f *fakeProber) ProviderInstalled(p string) bool { return f.installed[p] }
func (f *fakeProber) Run(_ context.Context, dir string, mainTF []byte) (map[string]string, error) {
	f.ran[dir] = string(mainTF)
	return f.outs, f.err
}

func checkWith(t *testing.T, p *fakeProber, newErr error, environ ...string) (Result, string) {
	t.Helper()
	home := t.TempDir()
	calls := 0
	opts := Options{Home: home, Environ: environ, Prober: func(_ context.Context, h string, env []string) (Prober, error) {
		calls++
		if h != home {
			t.Errorf("prober home = %q, want %q", h, home)
		}
		return p, newErr
	}}
	res, err := Check(context.Background(), []string{"azure"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("prober made %d times, want once", calls)
	}
	return res[0], home
}

// The seam: Check renders the probe, hands it to the Prober, and turns its
// answers (outputs, init failure, provider refusal) into verdicts.
func TestCheckThroughProber(t *testing.T) {
	azure := []string{"ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=secret", "ARM_SUBSCRIPTION_ID=sub1"}

	p := &fakeProber{installed: map[string]bool{}, ran: map[string]string{}}
	r, _ := checkWith(t, p, nil, azure...)
	if !r.Enabled || r.Verified || !strings.Contains(r.Reason, "provider hashicorp/azurerm not installed") || len(p.ran) != 0 {
		t.Errorf("not installed: %+v (ran %v)", r, p.ran)
	}

	r, _ = checkWith(t, p, errors.New("terraform: not found"), azure...)
	if !r.Enabled || r.Verified || !strings.Contains(r.Reason, "terraform not found") {
		t.Errorf("no terraform: %+v", r)
	}

	p = &fakeProber{installed: map[string]bool{"azurerm": true}, ran: map[string]string{},
		err: &InitError{Err: &fakeProviderError{summary: "Failed to query available provider packages"}}}
	r, home := checkWith(t, p, nil, azure...)
	if !r.Enabled || r.Verified || !strings.Contains(r.Reason, "could not be installed: Failed to query available provider packages") {
		t.Errorf("init failure: %+v", r)
	}
	if tf := p.ran[filepath.Join(home, "check", "azure")]; !strings.Contains(tf, `source = "hashicorp/azurerm"`) {
		t.Errorf("probe root:\n%s", tf)
	}

	p = &fakeProber{installed: map[string]bool{"azurerm": true}, ran: map[string]string{},
		err: &fakeProviderError{summary: "building account", detail: "Please see the docs\n\nbad client secret"}}
	r, _ = checkWith(t, p, nil, azure...)
	if r.Enabled || r.Reason != "building account: bad client secret" || r.Fix == "" {
		t.Errorf("refused: %+v", r)
	}
}

// Without a Prober nothing runs: detected credentials are unverified.
func TestCheckWithoutProber(t *testing.T) {
	res, err := Check(context.Background(), []string{"azure"}, Options{Home: t.TempDir(),
		Environ: []string{"ARM_CLIENT_ID=cid", "ARM_CLIENT_SECRET=secret", "ARM_SUBSCRIPTION_ID=sub1"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; !r.Enabled || r.Verified || !strings.Contains(r.Reason, "no credential prober") {
		t.Errorf("%+v", r)
	}
}
