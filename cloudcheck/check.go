// Package cloudcheck finds out which clouds skyplan can use, like SkyPilot's
// `sky check`. AWS credentials are verified by the same code that will use
// them later: Terraform's AWS provider, applying a root module that only
// reads aws_caller_identity. GCP and Azure are verified the same way when
// their provider is installed locally; otherwise their credentials are
// detected from files and variables and reported as not verified.
//
// The enabled set is cached in $SKYPLAN_HOME/enabled_clouds.json; the
// optimizer's callers read it with EnabledClouds.
package cloudcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cloud"
	_ "github.com/skyplan/skyplan/cloud/registry" // Clouds below reads the registry at init
	"github.com/skyplan/skyplan/config"
)

// Clouds are the clouds `check` knows (cloud.Credentials), in the
// registry's order.
var Clouds = cloud.With[cloud.Credentials]()

// Result is one cloud's verdict.
type Result struct {
	Cloud   string `json:"cloud"`
	Enabled bool   `json:"enabled"`
	// Verified is true when the cloud itself accepted the credentials (the
	// Terraform provider read the caller's identity).
	Verified bool `json:"verified"`
	// Identity is who the credentials belong to: an ARN, an e-mail, a
	// client id, or (unverified) where the credentials were found.
	Identity string `json:"identity"`
	// Account is the AWS account id, GCP project or Azure subscription.
	Account  string `json:"account,omitempty"`
	Endpoint string `json:"endpoint"`
	// Reason says why a cloud is disabled or not verified.
	Reason string `json:"reason"`
	// Fix is what to do about a disabled cloud.
	Fix string `json:"fix,omitempty"`
}

// Detail is the one-line DETAIL column of `skyplan check`.
func (r Result) Detail() string {
	var parts []string
	if r.Identity != "" {
		parts = append(parts, r.Identity)
	}
	if r.Account != "" && !strings.Contains(r.Identity, r.Account) {
		parts = append(parts, accountLabel(r.Cloud)+" "+r.Account)
	}
	if r.Enabled && r.Endpoint != "" {
		parts = append(parts, "endpoint "+r.Endpoint)
	}
	s := strings.Join(parts, ", ")
	if r.Reason != "" {
		if s != "" {
			return r.Reason + ": " + s
		}
		return r.Reason
	}
	return s
}

func accountLabel(name string) string {
	if c, ok := credentials(name); ok {
		return c.AccountLabel()
	}
	return "account"
}

// Options configure Check.
type Options struct {
	// Home is $SKYPLAN_HOME; probes run in Home/check/<cloud>.
	Home string
	// Environ is the environment credentials are looked up in and terraform
	// runs with (os.Environ() when nil).
	Environ []string
	// Config supplies gcp.project_id and azure.subscription_id.
	Config config.Config
	// Progress receives one line per cloud being checked (stderr).
	Progress io.Writer
	// Timeout bounds each cloud's verification (2 minutes when zero).
	Timeout time.Duration
	// Prober makes the credential prober (cluster.CredentialProbe in
	// skyplan), called at most once per Check. Without one, detected
	// credentials are reported as not verified.
	Prober NewProber
}

// Check checks the named clouds (all of Clouds when none is named).
func Check(ctx context.Context, clouds []string, opts Options) ([]Result, error) {
	if len(clouds) == 0 {
		clouds = Clouds
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	e := newEnv(opts.Environ, opts.Config)
	c := &checker{opts: opts, env: e}
	var out []Result
	for _, cloud := range clouds {
		if _, ok := credentials(cloud); !ok {
			return nil, fmt.Errorf("unknown cloud %q: expected one of %s", cloud, strings.Join(Clouds, ", "))
		}
		out = append(out, c.check(ctx, cloud))
	}
	return out, nil
}

type checker struct {
	opts Options
	env  env
	// prober is made once per Check; prErr is why there is none.
	prober Prober
	prErr  error
	tried  bool
}

var errNoProber = errors.New("no credential prober")

func (c *checker) getProber(ctx context.Context) (Prober, error) {
	if !c.tried {
		c.tried = true
		if c.opts.Prober == nil {
			c.prErr = errNoProber
		} else {
			c.prober, c.prErr = c.opts.Prober(ctx, c.opts.Home, c.opts.Environ)
		}
	}
	return c.prober, c.prErr
}

func (c *checker) check(ctx context.Context, name string) Result {
	r := Result{Cloud: name, Endpoint: endpoint(name, c.env)}
	d := detect(name, c.env)
	creds, _ := credentials(name)
	// AWS credentials may come from an instance profile, which no file
	// shows, so AWS is asked even when nothing was detected (AlwaysProbe).
	if !d.found && !creds.AlwaysProbe() {
		r.Reason, r.Fix = d.reason, fixFor(name)
		return r
	}
	prober, err := c.getProber(ctx)
	if err == errNoProber {
		return unverified(r, d, "no credential prober")
	} else if err != nil {
		return unverified(r, d, "terraform not found")
	}
	pr := probeFor(name, c.env, d)
	prov := pr.Provider
	if !prober.ProviderInstalled(prov) {
		return unverified(r, d, "provider hashicorp/"+prov+" not installed")
	}
	fmt.Fprintf(c.opts.Progress, "Checking %s credentials with Terraform's %s provider...\n", strings.ToUpper(name), prov)
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	outs, err := prober.Run(ctx, filepath.Join(c.opts.Home, "check", name), pr.render())
	if err != nil {
		var ie *InitError
		if errors.As(err, &ie) {
			return unverified(r, d, "provider hashicorp/"+prov+" could not be installed: "+shortError(err))
		}
		r.Reason, r.Fix = shortError(err), fixFor(name)
		if !d.found {
			r.Reason = d.reason + "; the " + cloud.DisplayName(name) + " provider says: " + r.Reason
		}
		return r
	}
	r.Enabled, r.Verified = true, true
	r.Identity, r.Account = creds.Identity(outs, d.toCloud())
	return r
}

// unverified reports detected credentials that could not be verified. They
// still enable the cloud, so plans consider it offline; a bad credential
// then surfaces at apply time, and the reason says it was not verified.
func unverified(r Result, d detection, why string) Result {
	if !d.found {
		r.Reason, r.Fix = d.reason, fixFor(r.Cloud)
		return r
	}
	r.Enabled = true
	r.Identity, r.Account = d.source, d.project
	r.Reason = "credentials found, not verified (" + why + ")"
	return r
}
