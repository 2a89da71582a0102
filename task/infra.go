package task

import (
	"github.com/skyplan/skyplan/cloud"
	"strings"
)

// AllClouds are the cloud names SkyPilot accepts. skyplan plans on aws,
// gcp, azure and ssh; the optimizer refuses the others with a clear message.
var AllClouds = []string{"aws", "azure", "gcp", "ibm", "lambda", "scp", "oci", "kubernetes", "runpod", "vast",
	"vsphere", "cudo", "fluidstack", "paperspace", "primeintellect", "do", "nebius", "ssh", "slurm",
	"hyperbolic", "seeweb", "shadeform", "yotta", "mithril", "verda"}

// contextClouds are SkyPilot clouds whose "region" is a context or
// partition name (skyplan parses them but does not register them).
var contextClouds = map[string]bool{"kubernetes": true, "slurm": true}

// canonicalCloud lower-cases a cloud name and resolves aliases.
func canonicalCloud(s string) (string, error) {
	c := strings.ToLower(strings.TrimSpace(s))
	if c == "k8s" {
		c = gkeCloud
	}
	if _, registered := cloud.Lookup(c); !contains(AllClouds, c) && !registered {
		detail := "Invalid cloud '" + s + "'."
		// Suggest what skyplan can plan on before SkyPilot-only names:
		// "gcpp" means gcp, not scp.
		if m := closeMatches(c, cloud.Names(), 3); len(m) > 0 {
			detail += " Did you mean " + strings.Join(m, ", ") + "?"
		} else if m := closeMatches(c, AllClouds, 3); len(m) > 0 {
			detail += " Did you mean " + strings.Join(m, ", ") + "? (skyplan plans on " + strings.Join(cloud.Names(), ", ") + " only.)"
		} else {
			detail += " Supported clouds: " + strings.Join(AllClouds, ", ") + "."
		}
		return "", valueErr("Invalid cloud", "%s", detail)
	}
	return c, nil
}

// ParseInfra parses "cloud[/region[/zone]]" with "*" wildcards, "k8s" for
// kubernetes (whose context may contain slashes) and "ssh/<pool>".
func ParseInfra(s string) (Infra, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Infra{}, valueErr("Invalid infra", "infra must not be empty. Use \"aws\", \"gcp/us-central1\", \"aws/us-east-1/us-east-1a\" or \"*\".")
	}
	if t == "*" {
		return Infra{}, nil
	}
	parts := strings.Split(t, "/")
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return Infra{}, valueErr("Invalid infra", "Invalid infra format: %s. Format should not contain empty parts (e.g., double slashes \"//\").", s)
		}
	}
	var inf Infra
	if parts[0] != "*" {
		c, err := canonicalCloud(parts[0])
		if err != nil {
			return Infra{}, err
		}
		inf.Cloud = c
	}
	if cloud.IsNodePool(inf.Cloud) || contextClouds[inf.Cloud] {
		// The rest is a context or pool name, which may itself contain '/'.
		if len(parts) > 1 {
			inf.Region = strings.Join(parts[1:], "/")
		}
		return inf, nil
	}
	if len(parts) > 3 {
		return Infra{}, valueErr("Invalid infra", "Invalid infra format: %s. Expected format is \"cloud\", \"cloud/region\", or \"cloud/region/zone\".", s)
	}
	if len(parts) > 1 && parts[1] != "*" {
		inf.Region = parts[1]
	}
	if len(parts) > 2 && parts[2] != "*" {
		inf.Zone = parts[2]
	}
	return inf, nil
}

// String renders the infra as "cloud/region/zone" ("*" for any).
func (i Infra) String() string {
	if i.Cloud == "" && i.Region == "" && i.Zone == "" {
		return "*"
	}
	s := i.Cloud
	if s == "" {
		s = "*"
	}
	if i.Region != "" || i.Zone != "" {
		r := i.Region
		if r == "" {
			r = "*"
		}
		s += "/" + r
	}
	if i.Zone != "" {
		s += "/" + i.Zone
	}
	return s
}
