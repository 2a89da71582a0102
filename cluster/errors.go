package cluster

import (
	"errors"
	"fmt"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/runner"
	"github.com/skyplan/skyplan/state"
)

// launchDiags turns a failed fallback loop into diagnostics with a fix;
// every placement's reason is in the detail (SkyPilot's reasons table).
func launchDiags(err error, cluster string, numNodes int) diag.Diagnostics {
	var ex *provision.ExhaustedError
	switch {
	case errors.As(err, &ex):
		var b strings.Builder
		ex.WriteTable(&b, numNodes)
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Failed to provision all possible launchable resources",
			Detail: "Reasons for provision failures:\n" + strings.TrimRight(b.String(), "\n") +
				"\nRelax the task's resource requirements, try other clouds, or run again with --retry-until-up."}}
	case errors.Is(err, provision.ErrAborted):
		return diag.Diagnostics{aborted()}
	}
	return terraformDiags(err, cluster)
}

func aborted() diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: "Aborted", Detail: "Nothing was created."}
}

// terraformDiags turns a provisioning error into diagnostics with a fix.
func terraformDiags(err error, cluster string) diag.Diagnostics {
	var te *provision.TerraformError
	var se *provision.StopError
	var ie *provision.InterruptedError
	switch {
	case errors.As(err, &ie):
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Interrupted", Detail: ie.Error()}}
	case errors.As(err, &se):
		return diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("Provisioning stopped: %s error, no failover", se.Failure.Class),
			Detail: oneLine(se.Failure.Message, 600) + "\n" + se.Fix}}
	case errors.As(err, &te) && te.Locked():
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Cluster state is locked",
			Detail: fmt.Sprintf("Another Terraform run holds the state lock of cluster %q (another skyplan apply, maybe on another machine). Wait for it to finish and run the command again.\n%s", cluster, oneLine(te.Text(), 400))}}
	case errors.As(err, &te) && te.Interrupted():
		return diag.Diagnostics{{Severity: diag.Error, Summary: "Interrupted",
			Detail: fmt.Sprintf("Terraform was stopped and saved its state. Run `skyplan apply` again to continue, or `skyplan down %s` to remove what was created.", cluster)}}
	}
	return diag.Diagnostics{}.Append(err)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max-1] + "…"
	}
	return s
}

// interruptedRun is what Ctrl-C after provisioning (waiting for SSH,
// syncing, setup or run) leaves behind: the cluster stays UP and bills.
// Instead of "context canceled" it says what exists, what it costs per
// hour at the price it was launched at (from state), what became of the
// job, and the exact command that removes it.
func interruptedRun(sc *state.Cluster, job *JobResult) diag.Diagnostic {
	var b strings.Builder
	nodes := len(sc.Nodes)
	if nodes == 0 {
		nodes = sc.NumNodes
	}
	res := ResourcesLabel(nodes, sc.InstanceType, sc.Accelerators, sc.UseSpot)
	if IsPool(sc.Cloud) {
		fmt.Fprintf(&b, "Cluster %s is UP on SSH node pool %s (%s); its hosts stay taken until it is torn down.", sc.Name, sc.Region, res)
	} else {
		fmt.Fprintf(&b, "Cluster %s is UP in %s (%s) and costs $%.4f/h (its price at launch) until it is torn down.",
			sc.Name, InfraLabel(sc.Cloud, sc.Region, sc.Zone), res, sc.HourlyCost)
	}
	switch {
	case job == nil || job.ID == 0:
		b.WriteString("\nNo job was started on it.")
	case !runner.Terminal(job.Status):
		fmt.Fprintf(&b, "\nJob %d keeps running on it: follow it with `skyplan logs %s %d`, stop it with `skyplan cancel %s %d`.",
			job.ID, sc.Name, job.ID, sc.Name, job.ID)
	}
	fmt.Fprintf(&b, "\nTear it down: skyplan down %s", sc.Name)
	fmt.Fprintf(&b, "\nOr keep it and run on it again: skyplan exec %s TASK.yaml", sc.Name)
	return diag.Diagnostic{Severity: diag.Error, Summary: "Interrupted", Detail: b.String()}
}
