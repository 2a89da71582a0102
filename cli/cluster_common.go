package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/skyhome"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

// Shared plumbing of the commands that change clusters.

func openStore() (*state.Store, error) { return state.Open(skyhome.StateDB()) }

// loadConfig reads the user and project config (the working directory's
// .skyplan.yaml); errors come back ready for Main to render.
func loadConfig() (config.Config, error) {
	cwd, _ := os.Getwd()
	cfg, ds := config.Load(cwd)
	if ds.HasErrors() {
		return cfg, Exit(ExitFailure, ds)
	}
	return cfg, nil
}

func needConfirmation() diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: "Confirmation needed",
		Detail: "stdin is not a terminal, so skyplan cannot ask before changing infrastructure. Pass -y to proceed without asking."}
}

// confirm asks "Proceed? [y/N]"; it never reads stdin that is not a
// terminal (the error is then a diagnostic saying to pass -y).
func confirm(io *IO, question string) (bool, error) {
	if !io.InTTY {
		return false, needConfirmation()
	}
	fmt.Fprintf(io.Err, "%s [y/N] ", question)
	line, _ := bufio.NewReader(io.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

func aborted() diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: "Aborted", Detail: "Nothing was created."}
}

// looksLikeTask tells a task YAML from a saved plan by its extension.
func looksLikeTask(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".yaml" || ext == ".yml"
}

// clusterName picks -c, else the task's name, else the file's base name.
func clusterName(flag string, t *task.Task, path string) string {
	if flag != "" {
		return flag
	}
	if t != nil && t.Name != "" {
		return t.Name
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func oneLineStr(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max-1] + "…"
	}
	return s
}
