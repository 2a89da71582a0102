package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestPanicBecomesDiagnostic(t *testing.T) {
	register(func(*IO) *cli.Command {
		return &cli.Command{Name: "zz-panic-test", Hidden: true, Action: func(*cli.Context) error { panic("boom") }}
	})
	defer func() { registry = registry[:len(registry)-1] }()
	var out, errb bytes.Buffer
	code := Run(&IO{Out: &out, Err: &errb}, []string{"skyplan", "zz-panic-test"})
	if code != ExitFailure {
		t.Errorf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "Internal error") || !strings.Contains(errb.String(), "boom") || strings.Contains(errb.String(), "goroutine") {
		t.Errorf("stderr: %s", errb.String())
	}
	if out.Len() != 0 {
		t.Errorf("stdout must stay empty: %q", out.String())
	}
}
