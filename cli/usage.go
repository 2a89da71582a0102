package cli

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/task"
	"github.com/urfave/cli/v2"
)

// Usage errors are one diagnostic with the closest command or flag, never
// the whole help text, and exit with ExitUsage.

// unknownCommandAction replaces urfave/cli's default action for the app and
// for commands that only group subcommands: with no argument it shows the
// help, with one it is an unknown command ("No help topic" otherwise).
func unknownCommandAction(parent string, cmds func() []*cli.Command) cli.ActionFunc {
	return func(c *cli.Context) error {
		if !c.Args().Present() {
			if parent == "" {
				return cli.ShowAppHelp(c)
			}
			return cli.ShowSubcommandHelp(c)
		}
		return unknownCommand(parent, c.Args().First(), cmds())
	}
}

func unknownCommand(parent, name string, cmds []*cli.Command) error {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	prefix := "skyplan "
	if parent != "" {
		prefix += parent + " "
	}
	detail := fmt.Sprintf("%q is not a skyplan command.", strings.TrimSpace(prefix[len("skyplan "):]+name))
	if m := task.CloseMatches(name, names, 1); len(m) > 0 {
		detail += fmt.Sprintf(" Did you mean `%s%s`?", prefix, m[0])
	}
	detail += fmt.Sprintf(" See `%s--help`.", prefix)
	return Exit(ExitUsage, diag.Diagnostics{{Severity: diag.Error, Summary: "Unknown command", Detail: detail}})
}

// flagUsageError is a command's flag error as one diagnostic; an unknown
// flag names the closest of the command's flags.
func flagUsageError(command string, flags []cli.Flag, err error) error {
	detail := err.Error() + "."
	const undefined = "flag provided but not defined: "
	if msg := err.Error(); strings.HasPrefix(msg, undefined) {
		given := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
		detail = fmt.Sprintf("Unknown flag --%s.", given)
		var names []string
		for _, f := range flags {
			names = append(names, f.Names()...)
		}
		if m := task.CloseMatches(given, names, 1); len(m) > 0 {
			dash := "--"
			if len(m[0]) == 1 {
				dash = "-"
			}
			detail += fmt.Sprintf(" Did you mean %s%s?", dash, m[0])
		}
	}
	where := "skyplan"
	if command != "" {
		where += " " + command
	}
	return Exit(ExitUsage, diag.Diagnostics{{Severity: diag.Error, Summary: "Invalid usage",
		Detail: fmt.Sprintf("%s See `%s --help`.", detail, where)}})
}
