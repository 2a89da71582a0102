// Package cloud is skyplan's one registry of clouds and the small
// capability interfaces that describe how they differ, in the style of
// dstack's compute mixins (ComputeWith…Support): every registered cloud has
// an identity (Cloud); everything else is an optional capability that
// callers discover with a type assertion instead of comparing cloud names.
//
// The clouds themselves live in cloud/aws, cloud/gcp, cloud/azure and
// cloud/sshpool; cloud/registry is the one place that lists them. A
// package that asks the registry imports cloud/registry for its side effect
// (or registers its own clouds, as tests do).
//
// cloud is a leaf: it imports only diag and the standard library, so the
// catalog, optimizer, compiler, provision, runner and state can all use it.
package cloud

import (
	"fmt"
	"strings"
	"sync"
)

// Cloud is the identity every registered cloud has.
type Cloud interface {
	// Name is the lower-case id used in task YAML, config, state and
	// catalogs: "aws", "gcp", "azure", "ssh".
	Name() string
	// DisplayName is the name as SkyPilot prints it (str(cloud)): "AWS",
	// "GCP", "Azure", "SSH". Tables, log lines and SKYPILOT_CLUSTER_INFO use it.
	DisplayName() string
	// DefaultSSHUser is the login user of the images skyplan boots there
	// ("" when the cloud has no default, as SSH node pools).
	DefaultSSHUser() string
}

var (
	mu     sync.RWMutex
	clouds []Cloud
	byName = map[string]Cloud{}
)

// Register adds c at the end of the registry's order. Registering a name
// twice replaces the earlier cloud in place (tests register fakes).
func Register(c Cloud) {
	mu.Lock()
	defer mu.Unlock()
	name := c.Name()
	if name == "" || name != strings.ToLower(name) {
		panic(fmt.Sprintf("cloud: invalid name %q (lower-case, non-empty)", name))
	}
	if _, ok := byName[name]; ok {
		for i := range clouds {
			if clouds[i].Name() == name {
				clouds[i] = c
			}
		}
	} else {
		clouds = append(clouds, c)
	}
	byName[name] = c
}

// Unregister removes the cloud called name (tests that registered a fake).
func Unregister(name string) {
	mu.Lock()
	defer mu.Unlock()
	delete(byName, name)
	for i := range clouds {
		if clouds[i].Name() == name {
			clouds = append(clouds[:i:i], clouds[i+1:]...)
			return
		}
	}
}

// All returns the registered clouds in the registry's order, the one order
// every list, table and tie-break uses.
func All() []Cloud {
	mu.RLock()
	defer mu.RUnlock()
	return append([]Cloud(nil), clouds...)
}

// Lookup returns the cloud called name (case-insensitive).
func Lookup(name string) (Cloud, bool) {
	mu.RLock()
	defer mu.RUnlock()
	c, ok := byName[strings.ToLower(name)]
	return c, ok
}

// Names returns the names of All().
func Names() []string {
	var out []string
	for _, c := range All() {
		out = append(out, c.Name())
	}
	return out
}

// With returns the names of the registered clouds that have capability T,
// in the registry's order: With[cloud.Module]() are the clouds skyplan
// compiles Terraform for.
func With[T any]() []string {
	var out []string
	for _, c := range All() {
		if _, ok := c.(T); ok {
			out = append(out, c.Name())
		}
	}
	return out
}

// As returns the cloud called name as capability T, if it is registered
// and has it.
func As[T any](name string) (T, bool) {
	var zero T
	c, ok := Lookup(name)
	if !ok {
		return zero, false
	}
	t, ok := c.(T)
	return t, ok
}

// DisplayName is the display name of the cloud called name; names the
// registry does not know are returned as given.
func DisplayName(name string) string {
	if c, ok := Lookup(name); ok {
		return c.DisplayName()
	}
	if strings.EqualFold(name, "kubernetes") {
		return "Kubernetes" // accepted in task YAML, not planned on
	}
	return name
}

// DefaultSSHUser is the default login user of the cloud called name
// ("ubuntu" for names the registry does not know, the common image user).
func DefaultSSHUser(name string) string {
	if c, ok := Lookup(name); ok && c.DefaultSSHUser() != "" {
		return c.DefaultSSHUser()
	}
	return "ubuntu"
}

// JoinNames renders names as prose: "aws, gcp and azure".
func JoinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
