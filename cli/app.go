// Package cli is skyplan's command-line front end. Each command lives in its
// own file and registers itself with register(); Main builds the app, runs
// it, renders accumulated diagnostics once and returns the exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// Version is set at build time with -ldflags "-X github.com/skyplan/skyplan/cli.Version=…".
var Version = "0.1.0-dev"

// IO carries the streams a command writes to. stdout is for results only
// (tables, JSON); progress and logs go to stderr.
type IO struct {
	In          io.Reader
	Out         io.Writer
	Err         io.Writer
	InTTY       bool
	OutTTY      bool
	ErrTTY      bool
	Environ     func(string) string // os.Getenv in production
	Interrupted context.Context     // cancelled on SIGINT/SIGTERM
	// HTTPClient asks the SSH source detection service (nil: the
	// default client; tests give an httptest TLS server's client).
	HTTPClient *http.Client

	view *view // chosen once per command (view.go)
	// argv is the command line Run was given (forwarded to a remote
	// controller as it was typed, see controller_remote.go).
	argv []string
}

// ExitError carries a specific exit code (and optional diagnostics) up to
// Main; Code 0 with warnings is a success that still has something to say.
// Exit codes are listed in exitcodes.go.
type ExitError struct {
	Code  int
	Diags diag.Diagnostics
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit %d: %s", e.Code, e.Diags.Error()) }

// Exit returns an error that makes Main exit with code, rendering diags.
func Exit(code int, diags diag.Diagnostics) error { return &ExitError{Code: code, Diags: diags} }

// done ends a command that succeeded: its warnings, if any, are rendered
// with the result.
func done(ds diag.Diagnostics) error {
	if ds.HasErrors() {
		return Exit(ExitFailure, ds)
	}
	if len(ds) == 0 {
		return nil
	}
	return Exit(ExitOK, ds)
}

// withWarnings adds the warnings gathered so far to a command's outcome.
func withWarnings(ds diag.Diagnostics, err error) error {
	code, more := outcome(err)
	return Exit(code, append(ds, more...))
}

// fail ends a command with an error (and the warnings gathered so far).
func fail(ds diag.Diagnostics, items ...any) error { return Exit(ExitFailure, ds.Append(items...)) }

var registry []func(*IO) *cli.Command

// register adds a command constructor; called from each command file's init.
func register(f func(*IO) *cli.Command) { registry = append(registry, f) }

// NewApp builds the urfave/cli application bound to streams.
func NewApp(streams *IO) *cli.App {
	var cmds []*cli.Command
	for _, f := range registry {
		cmds = append(cmds, f(streams))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	for _, c := range cmds {
		onUsageError(streams, c, "")
		chooseViewFirst(streams, c)
		if c.Action == nil && len(c.Subcommands) > 0 {
			c := c
			c.Action = unknownCommandAction(c.Name, func() []*cli.Command { return c.Subcommands })
		}
	}
	var jsonDiags bool
	app := &cli.App{
		Name:                 "skyplan",
		Usage:                "plan, compile and run ML tasks on any cloud through Terraform",
		Version:              Version,
		Commands:             cmds,
		Reader:               streams.In,
		Writer:               streams.Out,
		ErrWriter:            streams.Err,
		HideHelpCommand:      false,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // Main decides the exit code
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json-diagnostics", Destination: &jsonDiags, Usage: "render errors and warnings as JSON on stderr"},
		},
		Before: func(*cli.Context) error {
			if jsonDiags {
				streams.view = &view{jsonDiags: true}
			}
			return nil
		},
	}
	app.OnUsageError = func(c *cli.Context, err error, _ bool) error { return flagUsageError("", app.Flags, err) }
	app.Action = unknownCommandAction("", func() []*cli.Command { return app.Commands })
	// `skyplan help TOPIC` with an unknown topic is the same usage error as
	// an unknown command (urfave/cli says "No help topic" and exits 3).
	app.Setup()
	if h := app.Command("help"); h != nil {
		show := h.Action
		h.Action = func(c *cli.Context) error {
			if topic := c.Args().First(); topic != "" && app.Command(topic) == nil {
				return unknownCommand("", topic, app.Commands)
			}
			return show(c)
		}
	}
	return app
}

// chooseViewFirst chooses every command's view from its -o flag before its
// Action does any work. Commands with an options struct choose (and
// validate) it again themselves; this makes it hold for all of them.
func chooseViewFirst(streams *IO, c *cli.Command) {
	for _, sc := range c.Subcommands {
		chooseViewFirst(streams, sc)
	}
	action := c.Action
	if action == nil {
		return
	}
	for _, f := range c.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "output" {
			c.Action = func(ctx *cli.Context) error {
				streams.useView(ctx.String("output"))
				return action(ctx)
			}
			return
		}
	}
}

// onUsageError makes a command's flag errors diagnostics in the command's
// view (a JSON document when -o json was parsed before the bad flag).
func onUsageError(streams *IO, c *cli.Command, parent string) {
	path := strings.TrimSpace(parent + " " + c.Name)
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		// The flags parsed before the bad one are in their destinations.
		for _, f := range c.Flags {
			if sf, ok := f.(*cli.StringFlag); ok && sf.Name == "output" && sf.Destination != nil {
				streams.useView(*sf.Destination)
			}
		}
		return flagUsageError(path, c.Flags, err)
	}
	for _, sc := range c.Subcommands {
		onUsageError(streams, sc, path)
	}
}

// Main runs skyplan with the process's arguments and streams and returns the
// exit code; cmd/skyplan/main.go only calls os.Exit(cli.Main()).
func Main() int {
	ctx, stop := interruptContext(os.Stderr)
	defer stop()
	streams := &IO{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY:       term.IsTerminal(int(os.Stdin.Fd())),
		OutTTY:      term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY:      term.IsTerminal(int(os.Stderr.Fd())),
		Environ:     os.Getenv,
		Interrupted: ctx,
	}
	return Run(streams, os.Args)
}

// Run is Main with explicit streams and argv (argv[0] is the program name).
func Run(streams *IO, args []string) int {
	if streams.Environ == nil {
		streams.Environ = os.Getenv
	}
	if streams.Interrupted == nil {
		streams.Interrupted = context.Background()
	}
	app := NewApp(streams)
	streams.view = nil
	streams.argv = args
	err := runRecovered(app, streams.Interrupted, interspersedArgs(app, args))
	code, diags := outcome(err)
	streams.render(diags)
	return code
}

// outcome is the exit code and diagnostics an app run ended with.
func outcome(err error) (int, diag.Diagnostics) {
	if err == nil {
		return ExitOK, nil
	}
	code := ExitFailure
	var diags diag.Diagnostics
	var ee *ExitError
	var ce cli.ExitCoder
	switch {
	case errors.As(err, &ee):
		code, diags = ee.Code, ee.Diags
	case errors.As(err, &ce):
		code = ce.ExitCode()
		if msg := err.Error(); msg != "" {
			diags = diags.Append(diag.Diagnostic{Severity: diag.Error, Summary: msg})
		}
	default:
		diags = diags.Append(err)
	}
	return code, diags
}

// runRecovered runs the app and turns a panic into a diagnostic: users get
// a clear "this is a bug" message, never a Go stack trace.
func runRecovered(app *cli.App, ctx context.Context, args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Exit(ExitFailure, diag.Diagnostics{{Severity: diag.Error, Summary: "Internal error",
				Detail: fmt.Sprintf("%v\n\nThis is a bug in skyplan. Please report it with the command you ran (set SKYPLAN_DEBUG=1 for a stack trace).", r)}})
			if os.Getenv("SKYPLAN_DEBUG") != "" {
				panic(r)
			}
		}
	}()
	return app.RunContext(ctx, args)
}
