package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/skyhome"
)

// SweepDir is the tag sweep's own Terraform root inside a cluster
// directory: its state holds only leftovers, never the cluster's resources.
const SweepDir = "sweep"

// SweeperFor returns cloud's tag sweeper (the cloud.TagSweeper
// capability). GCP and Azure have none yet: their provider is not
// installed offline to test one against.
func SweeperFor(name string) (cloud.TagSweeper, bool) {
	return cloud.As[cloud.TagSweeper](name)
}

// reportedBy is what sw reads out of one run's diagnostics.
func reportedBy(sw cloud.TagSweeper, res RunResult) []string {
	details := make([]string, 0, len(res.Diagnostics))
	for _, d := range res.Diagnostics {
		details = append(details, d.Detail)
	}
	return sw.SweepReported(details)
}

// SweepOptions say what to sweep.
type SweepOptions struct {
	Cloud  string
	Region string
	// Tag is the value of the skyplan-cluster tag (the cloud-safe name).
	Tag string
	// Keep are IDs the cluster's own state holds: they are the cluster,
	// not leftovers (empty after a destroy).
	Keep []string
	// Log gets one line per swept resource.
	Log io.Writer
}

// SweepReport is what a sweep found and removed.
type SweepReport struct {
	Swept []string // "aws_instance i-0abc…", removed
	// Left are tagged resources still there after the sweep.
	Left []string
	// Unsupported: the cloud has no sweeper; only the state was checked.
	Unsupported bool
}

// Sweep finds every resource of the cluster's tag in one region that the
// cluster's state does not hold, and destroys it through Terraform: a
// generated root (w.Dir/sweep) lists tagged resources with data sources,
// imports them (ignore_changes = all, so the import changes nothing) and
// `terraform destroy` removes them. When anything was destroyed, a plan
// of the same root checks that nothing tagged is left. Resources the
// cluster's state still holds are passed as Keep and never touched.
func (w *Workspace) Sweep(ctx context.Context, o SweepOptions) (*SweepReport, error) {
	sw, ok := SweeperFor(o.Cloud)
	if !ok {
		return &SweepReport{Unsupported: true}, nil
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	dir := filepath.Join(w.Dir, SweepDir)
	if err := w.writeSweepRoot(dir, sw); err != nil {
		return nil, err
	}
	// The sweep's own progress would drown the user in data source reads:
	// it reports what it removed instead.
	ws, err := w.tc.Workspace(dir, nil, false)
	if err != nil {
		return nil, err
	}
	if err := ws.Init(ctx); err != nil {
		return nil, err
	}
	keep := append([]string(nil), o.Keep...)
	sort.Strings(keep)
	var reported []string
	for round := 0; ; round++ {
		if err := writeSweepVars(dir, o, keep, sw.SweepVars(reported)); err != nil {
			return nil, err
		}
		res, err := ws.Apply(ctx, "")
		if err != nil {
			return nil, fmt.Errorf("tag sweep of %s: %w", InfraLabel(o.Cloud, o.Region, ""), err)
		}
		more := newNames(reported, reportedBy(sw, res))
		if len(more) == 0 || round == 2 {
			break
		}
		reported = append(reported, more...)
	}
	objs, err := ws.StateObjects(ctx)
	if err != nil {
		return nil, err
	}
	rep := &SweepReport{}
	if len(objs) == 0 {
		return rep, nil
	}
	what := "resource(s)"
	if len(o.Keep) > 0 {
		what = "resource(s) that the cluster's state does not hold"
	}
	fmt.Fprintf(o.Log, "Found %d %s tagged skyplan-cluster=%s in %s; destroying them:\n", len(objs), what, o.Tag, InfraLabel(o.Cloud, o.Region, ""))
	for _, ob := range objs {
		fmt.Fprintf(o.Log, "  %s\n", ob)
	}
	if _, err := ws.Destroy(ctx); err != nil {
		left, _ := ws.StateObjects(ctx)
		rep.Left = left
		return rep, fmt.Errorf("destroying leftovers tagged skyplan-cluster=%s: %w", o.Tag, err)
	}
	rep.Swept = objs
	// Verify against the cloud: a plan of the same root imports nothing
	// and reports no key pair only when nothing tagged is left.
	if err := writeSweepVars(dir, o, keep, sw.SweepVars(nil)); err != nil {
		return nil, err
	}
	_, res, err := ws.Plan(ctx, PlanOptions{})
	if err != nil {
		return rep, fmt.Errorf("checking that nothing tagged skyplan-cluster=%s is left: %w", o.Tag, err)
	}
	if res.Summary != nil && res.Summary.Import > 0 {
		rep.Left = append(rep.Left, fmt.Sprintf("%d resource(s) still tagged", res.Summary.Import))
	}
	for _, k := range reportedBy(sw, res) {
		rep.Left = append(rep.Left, "key pair "+k)
	}
	if len(rep.Left) > 0 {
		return rep, fmt.Errorf("resources tagged skyplan-cluster=%s are still in %s after the sweep: %s", o.Tag, InfraLabel(o.Cloud, o.Region, ""), strings.Join(rep.Left, ", "))
	}
	return rep, nil
}

func newNames(have, got []string) []string {
	seen := map[string]bool{}
	for _, h := range have {
		seen[h] = true
	}
	var out []string
	for _, g := range got {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

// writeSweepRoot writes the sweep root: the cluster root's provider
// configuration (required_providers and provider blocks, so endpoints,
// retries and credentials settings are the cluster's own; never its
// backend: the sweep's state is local) and the cloud's sweep module.
func (w *Workspace) writeSweepRoot(dir string, sw cloud.TagSweeper) error {
	src, err := os.ReadFile(filepath.Join(w.Dir, "main.tf"))
	if err != nil {
		return fmt.Errorf("tag sweep: reading the cluster's provider configuration: %w", err)
	}
	f, diags := hclwrite.ParseConfig(src, "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return fmt.Errorf("tag sweep: %s", diags.Error())
	}
	out := hclwrite.NewEmptyFile()
	out.Body().AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# Generated by skyplan: tag sweep of one cluster (see templates/sweep). Do not edit.\n")}})
	for _, b := range f.Body().Blocks() {
		switch b.Type() {
		case "terraform":
			tb := out.Body().AppendNewBlock("terraform", nil).Body()
			for _, inner := range b.Body().Blocks() {
				if inner.Type() == "required_providers" {
					tb.AppendBlock(inner)
				}
			}
			out.Body().AppendNewline()
		case "provider":
			out.Body().AppendBlock(b)
			out.Body().AppendNewline()
		}
	}
	// The provider blocks read root variables (the retry budget, the
	// cluster name of the default tags): declare those in the sweep root
	// too, with the cluster's own values.
	read := providerVarRefs(f.Body())
	own, err := declaredVars(sw.SweepModule())
	if err != nil {
		return fmt.Errorf("tag sweep: %w", err)
	}
	copied := map[string]bool{}
	for _, b := range f.Body().Blocks() {
		if b.Type() == "variable" && len(b.Labels()) == 1 && read[b.Labels()[0]] && !own[b.Labels()[0]] {
			copied[b.Labels()[0]] = true
			out.Body().AppendBlock(b)
			out.Body().AppendNewline()
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := w.writeSweepProviderVars(dir, copied); err != nil {
		return err
	}
	if err := skyhome.WriteFileAtomic(filepath.Join(dir, "providers.tf"), hclwrite.Format(out.Bytes()), 0o644); err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(filepath.Join(dir, "main.tf"), sw.SweepModule(), 0o644)
}

func writeSweepVars(dir string, o SweepOptions, keep []string, extra map[string]any) error {
	if keep == nil {
		keep = []string{}
	}
	vars := map[string]any{"region": o.Region, "cluster_tag": o.Tag, "keep": keep}
	for k, v := range extra {
		vars[k] = v
	}
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(filepath.Join(dir, "sweep.auto.tfvars.json"), append(b, '\n'), 0o644)
}

// StateObjects lists the managed resource instances of the state as
// "TYPE ID" (e.g. "aws_instance i-0abc"), sorted.
func (w *Workspace) StateObjects(ctx context.Context) ([]string, error) {
	st, err := w.pullState(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range st.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			out = append(out, r.Type+" "+fmt.Sprint(in.Attributes["id"]))
		}
	}
	sort.Strings(out)
	return out, nil
}

// StateIDs are the IDs of every managed resource instance in the state:
// what a sweep must keep.
func (w *Workspace) StateIDs(ctx context.Context) ([]string, error) {
	st, err := w.pullState(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range st.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			if id, ok := in.Attributes["id"].(string); ok && id != "" {
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// rawState is the part of a state file skyplan reads.
type rawState struct {
	Version   int    `json:"version"`
	Serial    int64  `json:"serial"`
	Lineage   string `json:"lineage"`
	Resources []struct {
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Module    string `json:"module"`
		Instances []struct {
			Attributes map[string]any `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

func (w *Workspace) pullState(ctx context.Context) (*rawState, error) {
	raw, err := w.tf.StatePull(ctx)
	if err != nil {
		return nil, &TerraformError{Op: "state pull", Err: err}
	}
	var st rawState
	if strings.TrimSpace(raw) == "" {
		return &st, nil
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return nil, fmt.Errorf("reading the state of %s: %w", w.Dir, err)
	}
	return &st, nil
}

// declaredVars names the variables a module file declares (the sweep
// module's own: the cluster root's declarations of these are not copied).
func declaredVars(src []byte) (map[string]bool, error) {
	f, diags := hclwrite.ParseConfig(src, "main.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	names := map[string]bool{}
	for _, b := range f.Body().Blocks() {
		if b.Type() == "variable" && len(b.Labels()) == 1 {
			names[b.Labels()[0]] = true
		}
	}
	return names, nil
}

// providerVarRefs names the root variables (var.NAME) that the provider
// blocks of a root read.
func providerVarRefs(body *hclwrite.Body) map[string]bool {
	refs := map[string]bool{}
	for _, b := range body.Blocks() {
		if b.Type() != "provider" {
			continue
		}
		toks := b.BuildTokens(nil)
		for i := 0; i+2 < len(toks); i++ {
			if toks[i].Type == hclsyntax.TokenIdent && string(toks[i].Bytes) == "var" &&
				toks[i+1].Type == hclsyntax.TokenDot && toks[i+2].Type == hclsyntax.TokenIdent {
				refs[string(toks[i+2].Bytes)] = true
			}
		}
	}
	return refs
}

// writeSweepProviderVars gives the copied provider variables the values
// the cluster's own runs use: its tfvars, then skyplan's run values (the
// fast retry budget) over them. Variables of the sweep module keep theirs
// from writeSweepVars.
func (w *Workspace) writeSweepProviderVars(dir string, copied map[string]bool) error {
	vals := map[string]any{}
	for _, name := range []string{compiler.VarsFile, compiler.RunVarsFile} {
		b, err := os.ReadFile(filepath.Join(w.Dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("tag sweep: %w", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("tag sweep: reading %s: %w", name, err)
		}
		for k, v := range m {
			if copied[k] {
				vals[k] = v
			}
		}
	}
	b, err := json.MarshalIndent(vals, "", "  ")
	if err != nil {
		return err
	}
	return skyhome.WriteFileAtomic(filepath.Join(dir, "cluster.auto.tfvars.json"), append(b, '\n'), 0o644)
}
