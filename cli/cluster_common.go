package cli

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyplan/skyplan/cluster"
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

// missingClusters is one "No cluster named" error per name skyplan does not
// know, with the closest known name; commands check before they ask or act.
// orDir also counts a cluster directory without a record (down still
// destroys what it holds).
func missingClusters(m *cluster.Manager, names []string, orDir bool) diag.Diagnostics {
	all, ds := m.List()
	if ds.HasErrors() {
		return ds
	}
	var known []string
	have := map[string]bool{}
	for _, sc := range all {
		known = append(known, sc.Name)
		have[sc.Name] = true
	}
	for _, n := range names {
		if have[n] {
			continue
		}
		if _, err := os.Stat(m.Dir(n)); orDir && err == nil {
			continue
		}
		detail := "See `skyplan status` for the clusters skyplan knows."
		if m := task.CloseMatches(n, known, 1); len(m) > 0 {
			detail = fmt.Sprintf("Did you mean %q? ", m[0]) + detail
		}
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("No cluster named %q", n), Detail: detail})
	}
	return ds
}

// renamedCluster warns when -c NAME is not cloud-safe: resources are named
// after its safe form while skyplan's commands keep the name as typed.
func renamedCluster(flag string) diag.Diagnostics {
	safe := cluster.ResourceName(flag)
	if flag == "" || safe == flag {
		return nil
	}
	return diag.Diagnostics{{Severity: diag.Warning, Summary: fmt.Sprintf("Cluster name %q is renamed %q in cloud resources", flag, safe),
		Detail: fmt.Sprintf("Cloud resource names take lowercase letters, digits and dashes, starting with a letter. skyplan status, exec and down still know the cluster as %q; pass -c %s to use one name everywhere.", flag, safe),
		Field:  "--cluster"}}
}
