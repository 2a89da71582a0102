package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

// ControllerConfig says where the controller daemon of managed jobs
// (jobs.controller) or services (serve.controller) runs:
//
//	controller: local                      # default: a daemon on this machine
//	controller:
//	  infra: aws/us-east-1                 # a small VM (templates/aws/controller)
//	  instance_type: c6i.large             # default: cheapest >= 2 vCPU, >= 2 GiB
//	  idle_minutes: 30                     # stop (not destroy) when idle; 0 = never
//	  image_id: ami-0123456789abcdef0      # default: the catalog's Ubuntu image
//
// The catalog-dependent parts (the default instance type, whether the type
// exists in the region) are resolved by controllervm.Resolve, which uses
// File/Line/Field to locate its diagnostics here.
type ControllerConfig struct {
	Remote       bool   // false: the local daemon
	Cloud        string // "aws" when Remote
	Region       string // "" = controllervm.DefaultRegion
	InstanceType string // "" = the catalog default
	IdleMinutes  int    // 0 = no autostop
	ImageID      string // "" = the catalog's Ubuntu image for the region
	// File, Line and Field locate the setting ("jobs.controller").
	File  string
	Line  int
	Field string

	node *yaml.Node // as decoded, checked by merge once the file is known
}

// UnmarshalYAML keeps the node; merge validates it with the file name so
// every diagnostic names file, line and field.
func (c *ControllerConfig) UnmarshalYAML(n *yaml.Node) error {
	cp := *n
	*c = ControllerConfig{node: &cp}
	return nil
}

// controllerKeys are the keys of the mapping form.
var controllerKeys = []string{"infra", "instance_type", "idle_minutes", "image_id"}

// ControllerClouds are the clouds a controller VM can run on (a module
// under templates/<cloud>/controller).
var ControllerClouds = []string{"aws"}

var (
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	instanceTypeRe = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9-]+$`)
	imageIDRe      = regexp.MustCompile(`^ami-[0-9a-f]+$`)
)

// parse fills c from its node; file and field locate the diagnostics.
func (c *ControllerConfig) parse(file, field string) diag.Diagnostics {
	n := c.node
	*c = ControllerConfig{File: file, Field: field}
	if n == nil {
		return nil
	}
	c.Line = n.Line
	var ds diag.Diagnostics
	at := func(n *yaml.Node, sub, summary, detail string, args ...any) {
		f := field
		if sub != "" {
			f += "." + sub
		}
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: fmt.Sprintf(detail, args...), Field: f,
			Subject: &diag.Range{Filename: file, Start: diag.Pos{Line: n.Line, Column: n.Column}, End: diag.Pos{Line: n.Line, Column: n.Column + len(n.Value)}}})
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Value == "local" {
			return nil
		}
		at(n, "", "Invalid controller setting", "%s is %q; expected `local` (a daemon on this machine, the default) or a mapping such as {infra: aws/us-east-1}. Fix: write `%s: local` or `%s: {infra: aws}`.", field, n.Value, lastKey(field), lastKey(field))
		return ds
	case yaml.MappingNode:
	default:
		at(n, "", "Invalid controller setting", "%s must be `local` or a mapping with keys %s. Fix: write `%s: {infra: aws}`.", field, strings.Join(controllerKeys, ", "), lastKey(field))
		return ds
	}
	var infra *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "infra":
			infra = v
			c.parseInfra(v, at)
		case "instance_type":
			if v.Kind != yaml.ScalarNode || !instanceTypeRe.MatchString(v.Value) {
				at(v, "instance_type", "Invalid controller instance type", "%s.instance_type is %q; expected an EC2 instance type such as c6i.large. Fix: use a type from `skyplan show-gpus --all` / the AWS catalog, or drop the key for the cheapest type with at least 2 vCPUs and 2 GiB.", field, v.Value)
				continue
			}
			c.InstanceType = v.Value
		case "image_id":
			if v.Kind != yaml.ScalarNode || !imageIDRe.MatchString(v.Value) {
				at(v, "image_id", "Invalid controller image_id", "%s.image_id is %q; expected an AMI id such as ami-0123456789abcdef0 (an Ubuntu image: the controller's boot script uses its tools). Fix: use the AMI id, or drop the key for the catalog's Ubuntu image.", field, v.Value)
				continue
			}
			c.ImageID = v.Value
		case "idle_minutes":
			m, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || m < 0 {
				at(v, "idle_minutes", "Invalid controller idle_minutes", "%s.idle_minutes is %q; expected a whole number of minutes >= 0 (0 = never stop). Fix: e.g. `idle_minutes: 30`.", field, v.Value)
				continue
			}
			c.IdleMinutes = m
		default:
			hint := ""
			if s := closest(k.Value, controllerKeys); s != "" {
				hint = fmt.Sprintf(" Did you mean %q?", s)
			}
			at(k, k.Value, "Unknown controller key", "%s has no key %q; the keys are %s.%s", field, k.Value, strings.Join(controllerKeys, ", "), hint)
		}
	}
	if infra == nil && !ds.HasErrors() {
		at(n, "infra", "Controller infra missing", "%s is a mapping without infra; expected infra: aws or aws/REGION. Fix: add `infra: aws/us-east-1`, or write `%s: local` for a daemon on this machine.", field, lastKey(field))
	}
	c.Remote = c.Cloud != "" && !ds.HasErrors()
	return ds
}

func (c *ControllerConfig) parseInfra(v *yaml.Node, at func(*yaml.Node, string, string, string, ...any)) {
	cloudName, region, _ := strings.Cut(v.Value, "/")
	cloudName = strings.ToLower(cloudName)
	known := false
	for _, k := range ControllerClouds {
		known = known || k == cloudName
	}
	switch {
	case v.Kind != yaml.ScalarNode || v.Value == "":
		at(v, "infra", "Invalid controller infra", "%s.infra must be aws or aws/REGION.", c.Field)
	case !known:
		at(v, "infra", "Controller cloud not supported", "%s.infra is %q; a controller VM can run on %s only. Fix: use infra: aws/REGION, or `%s: local`.", c.Field, v.Value, strings.Join(ControllerClouds, ", "), lastKey(c.Field))
	case region != "" && (strings.Contains(region, "/") || !regionRe.MatchString(region)):
		at(v, "infra", "Invalid controller region", "%s.infra is %q; expected CLOUD/REGION such as aws/us-east-1 (a region, not a zone: the module picks the zone).", c.Field, v.Value)
	default:
		c.Cloud, c.Region = cloudName, region
	}
}

func lastKey(field string) string {
	if i := strings.LastIndex(field, "."); i >= 0 {
		return field[i+1:]
	}
	return field
}

func closest(s string, options []string) string {
	best, bestD := "", 3
	for _, o := range options {
		if d := diag.EditDistance(s, o); d < bestD {
			best, bestD = o, d
		}
	}
	return best
}

// Controller returns where the controller runs: jobs.controller and
// serve.controller name the same daemon (one per $SKYPLAN_HOME), so a
// remote setting in either applies to both; two different remote settings
// are an error located at serve.controller.
func (c Config) Controller() (ControllerConfig, diag.Diagnostics) {
	j, s := c.Jobs.Controller, c.Serve.Controller
	switch {
	case !s.Remote:
		return j, nil
	case !j.Remote:
		return s, nil
	case j.Cloud == s.Cloud && j.Region == s.Region && j.InstanceType == s.InstanceType && j.IdleMinutes == s.IdleMinutes && j.ImageID == s.ImageID:
		return j, nil
	}
	return j, diag.Diagnostics{{Severity: diag.Error, Summary: "Two different controllers configured",
		Detail: fmt.Sprintf("jobs.controller (%s:%d) and serve.controller differ; managed jobs and services share one controller. Fix: set only one of them, or make them equal.", j.File, j.Line),
		Field:  s.Field, Subject: &diag.Range{Filename: s.File, Start: diag.Pos{Line: s.Line, Column: 1}, End: diag.Pos{Line: s.Line, Column: 1}}}}
}
