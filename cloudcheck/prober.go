package cloudcheck

import "context"

// Prober runs credential probes: tiny Terraform root modules that only read
// who the caller is. skyplan's is cluster.CredentialProber (made by
// cluster.CredentialProbe), which runs them with the toolchain cluster
// operations use; cloudcheck itself never touches Terraform, so this seam
// has only standard types.
type Prober interface {
	// ProviderInstalled reports whether terraform can install
	// hashicorp/<provider> without the network (a filesystem mirror or the
	// plugin cache holds it).
	ProviderInstalled(provider string) bool
	// Run writes mainTF as dir/main.tf, initialises and applies it, and
	// returns its outputs as strings. A failure to install the provider is
	// an *InitError; an error with the provider's own words implements
	// ProviderError.
	Run(ctx context.Context, dir string, mainTF []byte) (outputs map[string]string, err error)
}

// NewProber makes the Prober one Check uses, for $SKYPLAN_HOME home and the
// environment terraform runs with. Its error (no terraform) leaves detected
// credentials unverified.
type NewProber func(ctx context.Context, home string, environ []string) (Prober, error)

// InitError is Prober.Run's error when the provider could not be installed
// (as opposed to the provider rejecting the credentials).
type InitError struct{ Err error }

func (e *InitError) Error() string { return e.Err.Error() }
func (e *InitError) Unwrap() error { return e.Err }

// ProviderError is implemented by a probe failure that carries the
// provider's first error diagnostic; check reports it instead of the whole
// error text.
type ProviderError interface {
	error
	ProviderDiagnostic() (summary, detail string)
}
