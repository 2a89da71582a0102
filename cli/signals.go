package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interruptContext is cancelled by the first SIGINT or SIGTERM; the
// commands forward that one interrupt to Terraform (terraform-exec sends
// it, and Terraform runs in its own process group, so a terminal's Ctrl-C
// reaches it only through skyplan). Later signals are caught and only
// acknowledged: a second interrupt would make Terraform exit at once
// without writing state, leaking whatever it was creating.
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				n++
				if n == 1 {
					fmt.Fprintf(stderr, "\n%s: stopping (a running Terraform finishes its in-flight calls and saves its state first).\n", sigName(s))
					cancel()
					continue
				}
				fmt.Fprintf(stderr, "%s again: still waiting for Terraform to save its state (stopping it now would lose track of what it created).\n", sigName(s))
			}
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}

func sigName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "Interrupt"
}
