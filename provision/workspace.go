// Package provision turns compiled Terraform root modules into running
// infrastructure: it finds terraform, writes a CLI config that honours the
// user's mirrors and cache, drives init/plan/apply/destroy through
// terraform-exec with the machine-readable UI, classifies cloud errors and
// runs SkyPilot's zone/region/cloud fallback loop.
package provision

import (
	"context"
	"errors"
	"fmt"
	_ "github.com/skyplan/skyplan/cloud/registry" // the clouds provisioned
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/config"
)

// Toolchain is a terraform binary plus the environment every run gets.
type Toolchain struct {
	ExecPath string
	// Env is the complete child environment (the parent's, minus the
	// variables terraform-exec manages itself, plus the CLI config).
	Env map[string]string
	// PluginCacheDir, when set, serialises inits (the cache is not
	// concurrency-safe).
	PluginCacheDir string
}

// ToolchainOptions configure NewToolchain.
type ToolchainOptions struct {
	Home    string              // $SKYPLAN_HOME
	Getenv  func(string) string // os.Getenv
	Environ []string            // os.Environ()
}

// NewToolchain finds terraform and prepares the CLI configuration.
func NewToolchain(ctx context.Context, opts ToolchainOptions) (*Toolchain, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	exe, err := FindTerraform(ctx, FindOptions{
		ExactPath:     opts.Getenv("SKYPLAN_TERRAFORM"),
		ExtraPaths:    []string{filepath.Join(opts.Home, "bin"), "/usr/local/bin", "/usr/bin"},
		AllowDownload: opts.Getenv("SKYPLAN_TERRAFORM_DOWNLOAD") == "1",
		InstallDir:    filepath.Join(opts.Home, "bin"),
	})
	if err != nil {
		return nil, err
	}
	cli, err := CLIConfigEnv(CLIConfigOptions{
		UserFile:       opts.Getenv("TF_CLI_CONFIG_FILE"),
		PluginCacheDir: opts.Getenv("TF_PLUGIN_CACHE_DIR"),
		Mirrors:        DefaultMirrors(opts.Getenv),
		Dir:            opts.Home,
	})
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range opts.Environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env = tfexec.CleanEnv(env)
	for k, v := range cli {
		env[k] = v
	}
	env["CHECKPOINT_DISABLE"] = "1"
	tc := &Toolchain{ExecPath: exe, Env: env, PluginCacheDir: env["TF_PLUGIN_CACHE_DIR"]}
	if tc.PluginCacheDir == "" {
		tc.PluginCacheDir = filepath.Join(opts.Home, "plugin-cache")
	}
	return tc, nil
}

// Workspace is one cluster's Terraform working directory.
type Workspace struct {
	Dir string
	// UI receives progress lines (stderr); TTY makes them overwrite.
	UI  io.Writer
	TTY bool
	// Backend, when set, makes the state remote (team/CI use); its config
	// is passed to init as -backend-config so values keep their types.
	Backend *config.Backend

	tc *Toolchain
	tf *tfexec.Terraform
	// reattach, when set, makes plan, apply and destroy use already
	// running providers (providerd.go) instead of starting their own.
	reattach tfexec.ReattachInfo
}

// Workspace opens dir (created if missing) for terraform runs.
func (tc *Toolchain) Workspace(dir string, ui io.Writer, tty bool) (*Workspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tf, err := tfexec.NewTerraform(dir, tc.ExecPath)
	if err != nil {
		return nil, err
	}
	if err := tf.SetEnv(tc.Env); err != nil {
		return nil, err
	}
	// After an interrupt, terraform gets time to finish in-flight API calls
	// and write state before it is killed.
	tf.SetWaitDelay(2 * time.Minute)
	return &Workspace{Dir: dir, UI: ui, TTY: tty, tc: tc, tf: tf}, nil
}

// runVarFile is the root's compiler.RunVarsFile when it has one: the
// values skyplan's own runs pass (the AWS provider's fast retry budget,
// for the fallback loop) and a plain `terraform apply` does not load.
// Roots compiled before the file existed have none and get no -var-file.
func (w *Workspace) runVarFile() string {
	f := filepath.Join(w.Dir, compiler.RunVarsFile)
	if _, err := os.Stat(f); err != nil {
		return ""
	}
	return f
}

// TerraformError is a failed terraform run with its structured diagnostics
// (each keeps the resource address it concerns).
type TerraformError struct {
	Op          string
	Diagnostics []tfjson.Diagnostic
	Err         error
}

func (e *TerraformError) Error() string {
	var parts []string
	for _, d := range e.Diagnostics {
		if d.Severity != tfjson.DiagnosticSeverityError {
			continue
		}
		s := d.Summary
		if d.Address != "" {
			s = d.Address + ": " + s
		}
		if d.Detail != "" {
			s += ": " + d.Detail
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return fmt.Sprintf("terraform %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("terraform %s: %s", e.Op, strings.Join(parts, "; "))
}

func (e *TerraformError) Unwrap() error { return e.Err }

// Text is every error's summary and detail, for the classifier. When the
// error diagnostics carry no text (or there are none), the process's own
// error is used: tfexec puts Terraform's stderr in it, so a failure is
// never reported without the cloud's words ("unknown error … ()").
func (e *TerraformError) Text() string {
	var b strings.Builder
	for _, d := range e.Diagnostics {
		if d.Severity == tfjson.DiagnosticSeverityError {
			b.WriteString(d.Summary + "\n" + d.Detail + "\n")
		}
	}
	if strings.TrimSpace(b.String()) == "" && e.Err != nil {
		b.Reset()
		b.WriteString(exitStatusRe.ReplaceAllString(e.Err.Error(), ""))
	}
	return b.String()
}

// exitStatusRe is os/exec's "exit status 1" in front of tfexec's stderr.
var exitStatusRe = regexp.MustCompile(`^exit status \d+\s+`)

// Address is the resource address of the first error, if any.
func (e *TerraformError) Address() string {
	for _, d := range e.Diagnostics {
		if d.Severity == tfjson.DiagnosticSeverityError && d.Address != "" {
			return d.Address
		}
	}
	return ""
}

// Interrupted reports a run stopped by context cancellation (Ctrl-C).
func (e *TerraformError) Interrupted() bool {
	return errors.Is(e.Err, context.Canceled) || errors.Is(e.Err, context.DeadlineExceeded)
}

// Locked reports that the state lock is held by someone else.
func (e *TerraformError) Locked() bool {
	return strings.Contains(e.Text(), "Error acquiring the state lock")
}

// StalePlan reports that a saved plan no longer matches the state.
func (e *TerraformError) StalePlan() bool {
	return strings.Contains(e.Text(), "Saved plan is stale")
}

// run executes one streaming terraform command: the JSON stream goes
// through a streamReader to the UI, and a failure comes back as a
// *TerraformError carrying the stream's diagnostics.
//
// Terraform's change summary ("Plan: 1 to add, …", "Apply complete! …")
// is printed only when the run succeeded; quietSummary leaves it out
// (a refresh-only plan, whose result is the drift the caller reports).
//
// A state lock left by a terraform that was killed is cleared once, with
// a message, and the run repeated (clearDeadLock says when that is safe).
func (w *Workspace) run(op string, quietSummary bool, fn func(io.Writer) error) (RunResult, error) {
	res, err := w.runOnce(op, quietSummary, fn)
	var te *TerraformError
	if err != nil && errors.As(err, &te) && te.Locked() {
		if msg := w.clearDeadLock(te); msg != "" {
			if w.UI != nil {
				fmt.Fprintln(w.UI, msg)
			}
			return w.runOnce(op, quietSummary, fn)
		}
	}
	return res, err
}

func (w *Workspace) runOnce(op string, quietSummary bool, fn func(io.Writer) error) (RunResult, error) {
	pr, pw := io.Pipe()
	sr := newStreamReader(w.UI, w.TTY, op)
	done := make(chan struct{})
	go func() {
		sr.run(pr)
		close(done)
	}()
	err := fn(pw)
	// tfexec's *JSON methods leave the writer installed as the stdout copy
	// of every later command; a closed pipe there silently truncates the
	// output of e.g. `state pull`.
	w.tf.SetStdout(io.Discard)
	pw.Close()
	<-done
	if err != nil {
		res := sr.result()
		return res, &TerraformError{Op: op, Diagnostics: res.Diagnostics, Err: err}
	}
	if !quietSummary {
		sr.printSummary()
	}
	return sr.result(), nil
}
