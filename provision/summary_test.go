package provision

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/optimizer"
)

// Terraform sends "Plan: 0 to add, …" before the error that failed the
// plan; the summary is printed only for a plan or apply that succeeded,
// and never for a refresh-only plan (its result is the drift).
func TestChangeSummaryOnlyOnSuccess(t *testing.T) {
	tc, _ := fakeToolchain(t, nil)
	dir := filepath.Join(t.TempDir(), "c")
	var ui strings.Builder
	ws, err := tc.Workspace(dir, &ui, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte("terraform {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := ws.Plan(ctx, PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ui.String(), "Plan: 2 to add, 0 to change, 0 to destroy.") {
		t.Errorf("a successful plan shows its summary:\n%s", ui.String())
	}
	ui.Reset()
	if _, _, err := ws.Plan(ctx, PlanOptions{RefreshOnly: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ui.String(), "Plan:") {
		t.Errorf("a refresh-only plan shows no change summary:\n%s", ui.String())
	}
	ui.Reset()
	if _, err := ws.Apply(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ui.String(), "Apply complete! Resources: 2 added") {
		t.Errorf("a successful apply shows its summary:\n%s", ui.String())
	}

	tc.Env["FAKE_TF_PLAN_FAIL"] = "No valid credential sources found"
	ws, err = tc.Workspace(dir, &ui, false)
	if err != nil {
		t.Fatal(err)
	}
	ui.Reset()
	_, res, err := ws.Plan(ctx, PlanOptions{})
	var te *TerraformError
	if !errors.As(err, &te) || !strings.Contains(te.Text(), "No valid credential sources found") {
		t.Fatalf("plan error = %v", err)
	}
	if strings.Contains(ui.String(), "Plan:") || strings.Contains(ui.String(), "to add") {
		t.Errorf("a failed plan must not show Terraform's summary:\n%s", ui.String())
	}
	if res.Summary == nil {
		t.Errorf("the summary is still in the result for callers that want it")
	}
}

// An error diagnostic without text (the words on Terraform's stderr) still
// reaches the progress line, the stop error and the attempt's reason, on
// the saved-plan path too: never "unknown error in AWS (us-east-1a) ()".
func TestFailureCarriesTheErrorText(t *testing.T) {
	const words = "UnauthorizedOperation: You are not authorized to perform this operation."
	cands := []optimizer.Placement{{Cloud: "aws", Region: "us-east-1", Zone: "us-east-1a", InstanceType: "m6i.large"}}
	for _, saved := range []bool{false, true} {
		tc, _ := fakeToolchain(t, map[string]string{"us-east-1a": "stderr:" + words})
		dir := filepath.Join(t.TempDir(), "c")
		ws, err := tc.Workspace(dir, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		l := &Launcher{Cluster: "c", NumNodes: 1, WS: ws, Plan: CandidatePlanner(cands), Generate: fakeGenerate, Log: &log, Backoff: 1}
		if saved {
			if err := fakeGenerate(cands[0], dir); err != nil {
				t.Fatal(err)
			}
			l.PlanFile = filepath.Join(dir, "saved.tfplan")
			l.Generate = nil
		}
		_, err = l.Launch(context.Background())
		var se *StopError
		if !errors.As(err, &se) {
			t.Fatalf("saved=%v: want a StopError, got %v\n%s", saved, err, log.String())
		}
		if !strings.Contains(se.Error(), words) || !strings.Contains(attemptReason(&se.Failure), words) {
			t.Errorf("saved=%v: the error lacks the cloud's text:\n%s\nreason: %s", saved, se.Error(), attemptReason(&se.Failure))
		}
		if strings.Contains(log.String()+se.Error(), "()") || strings.Contains(se.Error(), "exit status") {
			t.Errorf("saved=%v: an empty reason is shown:\n%s%s", saved, log.String(), se.Error())
		}
	}
	if got := codeOr(&Failure{}); got == "" {
		t.Error("a failure without any text still says so")
	}
	if got := CloudMessage("Error: creating EC2 Instance: status code: 400, request id: 1f2e"); got == "" {
		t.Error("a message of wrappers only must not become empty")
	}
}
