package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/compiler"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/provision"
	"github.com/skyplan/skyplan/state"
)

// RebuildRequest is one Rebuild: which cloud, and which of its regions
// (none = every region of its catalog).
type RebuildRequest struct {
	Cloud   string
	Regions []string
	Log     io.Writer
}

// Rebuilt is one cluster found in the cloud.
type Rebuilt struct {
	Name   string
	Status state.Status
	Where  string
	Nodes  int
	// Recorded: a record was written; false when one already existed.
	Recorded bool
	// Adopted: no Terraform directory described it, so Rebuild wrote one
	// that lets `skyplan down` sweep it by tag.
	Adopted bool
}

// RebuildResult lists what Rebuild found, per cluster.
type RebuildResult struct {
	Regions  []string
	Clusters []Rebuilt
}

// Rebuild writes state.db records for the clusters whose instances carry
// a skyplan-cluster tag in the cloud (`skyplan state rebuild`, after a
// corrupt state.db was moved aside). A cluster already recorded is left
// as it is. A cluster directory whose tag matches gives the record its
// name, Terraform directory and nodes (from its state's outputs, else
// from the instances); without one, an adopted root is written so that
// `skyplan down` finds and destroys the resources by tag.
func (m *Manager) Rebuild(ctx context.Context, req RebuildRequest) (*RebuildResult, diag.Diagnostics) {
	log := m.logTo(req.Log)
	var ds diag.Diagnostics
	if _, ok := provision.FinderFor(req.Cloud); !ok {
		return nil, diag.Diagnostics{{Severity: diag.Error, Summary: fmt.Sprintf("skyplan cannot yet rebuild %s records", cloud.DisplayName(req.Cloud)),
			Detail: fmt.Sprintf("%s has no tag finder; its clusters' directories in %s still work with `skyplan down NAME -y`.", cloud.DisplayName(req.Cloud), filepath.Join(m.home, "clusters"))}}
	}
	regions := req.Regions
	if len(regions) == 0 {
		cat, err := m.catalogOrLoad()
		if err != nil {
			return nil, ds.Append(err)
		}
		cc, err := cat.Cloud(req.Cloud)
		if err != nil {
			return nil, ds.Append(err)
		}
		regions = cc.Regions()
	}
	tc, err := m.toolchain(ctx)
	if err != nil {
		return nil, ds.Append(err)
	}
	skip := m.getenv("AWS_ENDPOINT_URL") != ""
	fmt.Fprintf(log, "Listing %s instances tagged skyplan-cluster in %d region(s) …\n", cloud.DisplayName(req.Cloud), len(regions))
	found, err := tc.FindTagged(ctx, filepath.Join(m.home, "find", req.Cloud), provision.TagSearch{Cloud: req.Cloud, Regions: regions, SkipAccountChecks: skip})
	if err != nil {
		return nil, terraformDiags(err, "")
	}
	dirs := m.dirsByTag(req.Cloud)
	byTag := map[string][]provision.TaggedInstance{}
	var tags []string
	for _, in := range found {
		if _, ok := byTag[in.Cluster]; !ok {
			tags = append(tags, in.Cluster)
		}
		byTag[in.Cluster] = append(byTag[in.Cluster], in)
	}
	sort.Strings(tags)
	res := &RebuildResult{Regions: regions}
	for _, tag := range tags {
		rb, rds := m.rebuildOne(ctx, req.Cloud, tag, byTag[tag], dirs[tag], skip)
		ds = append(ds, rds...)
		if rb != nil {
			res.Clusters = append(res.Clusters, *rb)
		}
	}
	return res, ds
}

// dirsByTag maps the skyplan-cluster tag of every cluster directory of
// cloud to the directory's cluster name.
func (m *Manager) dirsByTag(cloudName string) map[string]string {
	out := map[string]string{}
	ents, _ := os.ReadDir(filepath.Join(m.home, "clusters"))
	for _, e := range ents {
		if id, ok := provision.DirIdentity(m.Dir(e.Name())); ok && e.IsDir() && id.Cloud == cloudName {
			out[id.Tag] = e.Name()
		}
	}
	return out
}

func (m *Manager) rebuildOne(ctx context.Context, cloudName, tag string, ins []provision.TaggedInstance, dirName string, skip bool) (*Rebuilt, diag.Diagnostics) {
	name := dirName
	if name == "" {
		name = tag
	}
	// One cluster lives in one region; instances of the tag elsewhere are
	// another launch's leftovers, which that region's sweep removes.
	region := ins[0].Region
	var here []provision.TaggedInstance
	for _, in := range ins {
		if in.Region == region {
			here = append(here, in)
		}
	}
	rb := &Rebuilt{Name: name, Where: provision.InfraLabel(cloudName, region, ""), Nodes: len(here)}
	switch old, err := m.store.GetCluster(name); {
	case err == nil:
		rb.Status = old.Status
		return rb, nil
	case errors.Is(err, state.ErrCorruptRecord):
		return nil, diag.Diagnostics{{Severity: diag.Warning, Summary: fmt.Sprintf("Corrupt record of cluster %q kept", name),
			Detail: fmt.Sprintf("%v\nRemove it with `skyplan down --purge %s`, then run `skyplan state rebuild` again.", err, name)}}
	case !errors.Is(err, state.ErrNotFound):
		return nil, diag.Diagnostics{}.Append(err)
	}
	release, ds := m.lock(name, "state rebuild")
	if ds.HasErrors() {
		return nil, ds
	}
	defer release()
	dir := m.Dir(name)
	if dirName == "" {
		if err := provision.WriteAdoptedRoot(dir, cloudName, region, tag, skip); err != nil {
			return nil, ds.Append(err)
		}
		rb.Adopted = true
	}
	c := &state.Cluster{Name: name, Cloud: cloudName, Region: region, NumNodes: len(here), TerraformDir: dir,
		Extra: map[string]string{"rebuilt": time.Now().UTC().Format(time.RFC3339)}}
	c.Nodes = m.rebuiltNodes(ctx, cloudName, dir, here)
	if len(c.Nodes) > 0 {
		c.Zone = m.pricedZone(here[0].ZoneID, c.Nodes[0].Zone)
	}
	c.InstanceType = here[0].InstanceType
	for _, in := range here {
		if in.Rank == "0" {
			c.InstanceType = in.InstanceType
		}
	}
	var vars struct {
		UseSpot bool `json:"use_spot"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, compiler.VarsFile)); err == nil {
		_ = json.Unmarshal(b, &vars)
	}
	c.UseSpot = vars.UseSpot
	c.Status = rebuiltStatus(cloudName, here, rb.Adopted)
	c.EverUp = c.Status != state.StatusInit
	c.HourlyCost = m.hourlyCost(cloudName, region, c.Zone, c.InstanceType, c.UseSpot) * float64(len(here))
	if c.Status == state.StatusUp {
		c.LaunchedAt = time.Now().UTC()
	}
	if err := m.store.PutCluster(c); err != nil {
		return nil, ds.Append(err)
	}
	rb.Status, rb.Recorded = c.Status, true
	return rb, ds
}

// rebuiltStatus: every node running is UP, every node stopped STOPPED;
// anything else, and any adopted cluster (no module to apply or run on),
// is INIT, which `skyplan down` removes.
func rebuiltStatus(cloudName string, ins []provision.TaggedInstance, adopted bool) state.Status {
	fd, _ := provision.FinderFor(cloudName)
	running := 0
	for _, in := range ins {
		if fd.FindRunning(in.State) {
			running++
		}
	}
	switch {
	case adopted:
		return state.StatusInit
	case running == len(ins):
		return state.StatusUp
	case running == 0:
		return state.StatusStopped
	}
	return state.StatusInit
}

// rebuiltNodes are the nodes from the directory's `nodes` output when its
// state still has them, else from the instances (rank tag order) with the
// cloud's default SSH user.
func (m *Manager) rebuiltNodes(ctx context.Context, cloudName, dir string, ins []provision.TaggedInstance) []state.Node {
	if ws, err := m.workspace(ctx, dir, io.Discard); err == nil {
		if nodes, err := ws.Nodes(ctx); err == nil && len(nodes) == len(ins) {
			return nodes
		}
	}
	user := ""
	if c, ok := cloud.As[cloud.Cloud](cloudName); ok {
		user = c.DefaultSSHUser()
	}
	sorted := append([]provision.TaggedInstance(nil), ins...)
	sort.SliceStable(sorted, func(i, j int) bool { return rankOf(sorted[i]) < rankOf(sorted[j]) })
	nodes := make([]state.Node, len(sorted))
	for i, in := range sorted {
		nodes[i] = state.Node{Rank: i, InstanceID: in.ID, PrivateIP: in.PrivateIP, PublicIP: in.PublicIP, Zone: in.Zone, SSHUser: user}
	}
	return nodes
}

// pricedZone is the catalog's name of the zone an instance reported (its
// ID, where the cloud has them, maps back to the zone skyplan priced; the
// account's name may differ), else the account's name.
func (m *Manager) pricedZone(id, accountName string) string {
	if id == "" {
		return accountName
	}
	if cat, err := m.catalogOrLoad(); err == nil {
		if name, ok := cat.AWSZoneName(id); ok {
			return name
		}
	}
	return accountName
}

func rankOf(in provision.TaggedInstance) int {
	if r, err := strconv.Atoi(strings.TrimSpace(in.Rank)); err == nil {
		return r
	}
	return 1 << 30
}

// hourlyCost is the catalog's $/h of one node (zone row first, then any
// row of the region); 0 when the catalog does not list it.
func (m *Manager) hourlyCost(cloudName, region, zone, instanceType string, spot bool) float64 {
	cat, err := m.catalogOrLoad()
	if err != nil {
		return 0
	}
	cc, err := cat.Cloud(cloudName)
	if err != nil {
		return 0
	}
	best := 0.0
	for _, i := range cc.OfferIndexes(instanceType) {
		o := cc.Offers[i]
		if o.Region != region {
			continue
		}
		if p, ok := o.PriceFor(spot); ok {
			if o.Zone == zone && zone != "" {
				return p
			}
			if best == 0 {
				best = p
			}
		}
	}
	return best
}
