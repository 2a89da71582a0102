package provision

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"strings"

	"github.com/skyplan/skyplan/optimizer"
)

// decision is what the loop does about one failed attempt.
type decision struct {
	blocks []optimizer.Blocked
	// stop, when set, ends the launch with this error.
	stop *StopError
	// text is the decision as recorded in the attempt's reason.
	text string
	// pending is the progress line, completed with where the loop goes next.
	pending string
}

// unknownGuard lets an unrecognised launch-call error fail over to the
// next zone at most once per region. After a one-shot in a region's last
// zone it is armed: the next placement must be in the same region, else
// the loop stops with the stored error instead of carrying an unexplained
// failure from region to region.
type unknownGuard struct {
	used   map[string]string // cloud/region → the zone whose error was let through
	armed  *StopError
	region string
}

func regionKey(p optimizer.Placement) string { return p.Cloud + "/" + p.Region }

// check is called with the planner's next answer; a non-nil result stops.
func (g *unknownGuard) check(p *optimizer.Placement, err error) *StopError {
	if g.armed == nil {
		return nil
	}
	stop := g.armed
	g.armed = nil
	if err != nil || p == nil || regionKey(*p) != g.region {
		return stop
	}
	return nil
}

// decide classifies the consequences of failure f at pz. hasNextZone: the
// placement has another zone of the same region after pz.Zone.
func (l *Launcher) decide(f *Failure, pz optimizer.Placement, hasNextZone bool, g *unknownGuard, err error) decision {
	where := InfraLabel(pz.Cloud, pz.Region, pz.Zone)
	d := decision{pending: fmt.Sprintf("%s error in %s (%s)", f.Class, where, codeOr(f))}
	fix := f.Verdict.Fix
	if fix == "" {
		fix = fixFor(f.Class, pz.Cloud)
	}
	stop := func(text, fix string) decision {
		d.text = "stopped: " + text
		d.stop = &StopError{Failure: *f, Err: err, Fix: fix}
		d.stop.Failure.Decision = d.text
		return d
	}
	if l.NoFailover && (f.Class.FailsOver() || f.Verdict.LaunchCall) {
		return stop("the cluster was UP before, so it is not moved",
			fmt.Sprintf("cluster %q was UP before, so skyplan does not move it elsewhere; retry later with `skyplan start %s`, or `skyplan down %s` and apply again", l.Cluster, l.Cluster, l.Cluster))
	}
	if f.Class.FailsOver() {
		c := f.Verdict
		c.Class, c.Code = f.Class, f.Code
		if !c.AllRegions {
			c.AllRegions = strings.Contains(f.Message, "_ALL_REGIONS")
		}
		d.blocks = BlocksFor(c, pz, d.pending)
		d.text = describeBlocks(d.blocks)
		return d
	}
	if f.Class == Unknown && f.Verdict.LaunchCall {
		return l.decideUnknownLaunch(f, pz, hasNextZone, g, d, stop)
	}
	switch f.Class {
	case Transient:
		return stop(fmt.Sprintf("still failing after %d retries in place", l.TransientRetries),
			"the cloud kept answering with a temporary error; apply again later")
	case Unknown:
		return stop("unrecognised error, not from the instance launch request, so not a capacity problem", fix)
	}
	return stop(fmt.Sprintf("%s errors do not fail over", f.Class), fix)
}

// decideUnknownLaunch: AWS may refuse RunInstances/CreateFleet in one zone
// with an error skyplan does not know (SkyPilot blocks the zone for any AWS
// error but expired credentials), so the next zone of the region is tried
// once; a second unrecognised error in the region is the request's fault.
func (l *Launcher) decideUnknownLaunch(f *Failure, pz optimizer.Placement, hasNextZone bool, g *unknownGuard, d decision, stop func(text, fix string) decision) decision {
	key := regionKey(pz)
	msg := oneLine(CloudMessage(f.Message), 200)
	zone := pz.Zone
	if zone == "" {
		zone = f.Verdict.Zone
	}
	again := "read the error above, fix the cause (the task's resources, image or config) and apply again"
	if first, ok := g.used[key]; ok {
		return stop(fmt.Sprintf("a second unrecognised launch error in %s (the first was in %s)", pz.Region, first),
			fmt.Sprintf("skyplan tried one more zone because a zone can refuse a launch for reasons the cloud does not name, but the same kind of error in two zones of %s points at the request itself: %s", pz.Region, again))
	}
	if zone == "" || !cloud.HasZones(pz.Cloud) {
		return stop("unrecognised launch error and no other zone of the region to try", "skyplan could not classify this error: "+again)
	}
	if g.used == nil {
		g.used = map[string]string{}
	}
	g.used[key] = zone
	spot := pz.UseSpot
	d.blocks = []optimizer.Blocked{{Cloud: pz.Cloud, Region: pz.Region, Zone: zone, InstanceType: pz.InstanceType, UseSpot: &spot,
		Reason: "unrecognised launch error in " + zone}}
	d.text = describeBlocks(d.blocks) + " after an unrecognised launch error; the next zone of " + pz.Region + " is tried once, a second such error stops"
	d.pending = fmt.Sprintf("unrecognised error in %s: %s; trying one more zone of %s", InfraLabel(pz.Cloud, pz.Region, zone), msg, pz.Region)
	if !hasNextZone {
		d.text += "; the launch stops unless the next placement is in " + pz.Region
		s := stop(fmt.Sprintf("unrecognised launch error in %s and no other zone of %s to try", zone, pz.Region),
			fmt.Sprintf("skyplan could not classify this error and there is no other zone of %s to try it in (it does not carry an unexplained error to other regions): %s", pz.Region, again))
		g.armed, g.region = s.stop, key
	}
	return d
}

// describeBlocks renders blocks for an attempt's reason.
func describeBlocks(blocks []optimizer.Blocked) string {
	var parts []string
	for _, b := range blocks {
		what := ""
		switch {
		case b.Zone != "":
			what = "zone " + b.Zone
		case b.Region != "":
			what = "region " + b.Region
		default:
			what = "every " + InfraLabel(b.Cloud, "", "") + " region"
		}
		if b.InstanceType != "" {
			what += " for " + b.InstanceType
		}
		if b.UseSpot != nil && *b.UseSpot {
			what += " (spot)"
		}
		parts = append(parts, what)
	}
	if len(parts) == 0 {
		return "blocked nothing"
	}
	return "blocked " + strings.Join(parts, ", ")
}

// attemptReason is what state records for a failed attempt: the code, the
// cloud's own message and what the loop decided.
func attemptReason(f *Failure) string {
	r := codeOr(f) + ": " + oneLine(CloudMessage(f.Message), 400)
	if f.Decision != "" {
		r += " → " + f.Decision
	}
	return r
}

// tableReason is the REASON cell: the class and the cloud's own message
// with Terraform's and the SDK's wrappers taken off, so the cause is shown
// rather than "creating EC2 Instance: operation error EC2: RunInstances, …".
func tableReason(f Failure) string {
	return oneLine(string(f.Class)+": "+CloudMessage(f.Message), 160)
}
