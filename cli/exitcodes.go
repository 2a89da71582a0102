package cli

import (
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/cluster"
	"github.com/urfave/cli/v2"
)

// Exit codes: every code skyplan exits with is here, and `skyplan help
// exit-codes` prints this table.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitChanges = 2 // plan --detailed-exitcode: changes present
	// An unknown command or flag: sysexits' EX_USAGE, distinct from the
	// codes a job or a plan can end with.
	ExitUsage = 64
	// `skyplan logs --status`, as `sky logs --status`.
	ExitJobFailed      = 100
	ExitJobNotFinished = 101
	ExitJobNotFound    = 102
	ExitJobCancelled   = 103
)

var exitCodeTable = []struct {
	code int
	what string
}{
	{ExitOK, "success (apply, exec: the job succeeded; logs --status: the job SUCCEEDED)"},
	{ExitFailure, "an error (see the diagnostics on stderr, or in the JSON document with -o json)"},
	{ExitChanges, "plan --detailed-exitcode: the plan has changes"},
	{ExitUsage, "usage error: an unknown command or flag (the message suggests the closest one)"},
	{ExitJobFailed, "logs --status: the job FAILED or FAILED_SETUP"},
	{ExitJobNotFinished, "logs --status: the job has not finished"},
	{ExitJobNotFound, "logs --status, logs: no such job"},
	{ExitJobCancelled, "logs --status: the job was CANCELLED"},
	{-1, "apply, exec: any other code is the exit code of the job's failing node"},
}

func exitCodesText() string {
	var b strings.Builder
	for _, r := range exitCodeTable {
		code := fmt.Sprint(r.code)
		if r.code < 0 {
			code = "N"
		}
		fmt.Fprintf(&b, "  %-4s %s\n", code, r.what)
	}
	return b.String()
}

// The exit codes are a help topic: `skyplan help exit-codes` (and
// `skyplan exit-codes`) print them.
func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:        "exit-codes",
			Usage:       "the exit codes of skyplan's commands",
			Description: "skyplan exits with:\n" + exitCodesText(),
			Hidden:      true,
			HideHelp:    true,
			Action: func(*cli.Context) error {
				fmt.Fprint(io.Out, "skyplan exits with:\n"+exitCodesText())
				return nil
			},
		}
	})
}

// jobExitCode is the logs --status code of a job status.
func jobExitCode(status string) int {
	switch status {
	case cluster.JobSucceeded:
		return ExitOK
	case cluster.JobFailed, cluster.JobFailedSetup:
		return ExitJobFailed
	case cluster.JobCancelled:
		return ExitJobCancelled
	}
	return ExitJobNotFinished
}
