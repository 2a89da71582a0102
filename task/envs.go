package task

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

var envKeyRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// envRefRE is SkyPilot's $VAR / ${VAR} pattern (task._fill_in_env_vars).
var envRefRE = regexp.MustCompile(`\$\{?\b([a-zA-Z_][a-zA-Z0-9_]*)\b\}?`)

// envText renders a scalar the way SkyPilot's str() coercion does
// (booleans become "True"/"False").
func envText(n *yaml.Node) string {
	if n.ShortTag() == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			if b {
				return "True"
			}
			return "False"
		}
	}
	return n.Value
}

// parseEnvs reads envs or secrets (kind). Secret values never appear in
// diagnostics.
func (p *parser) parseEnvs(n *yaml.Node, kind string) []EnvVar {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if kind == "secrets" && n.Kind == yaml.SequenceNode {
		p.errorf(n, kind, "Server-managed secrets are not supported",
			"A list of secret references (secrets:NAME) needs SkyPilot's API server. Give secrets as a mapping NAME: value, or pass them with --secret NAME=value.")
		return nil
	}
	pairs, ok := p.mapping(n, kind, kind, nil)
	if !ok {
		return nil
	}
	var out []EnvVar
	var badKeys []string
	var firstBad *yaml.Node
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		if !envKeyRE.MatchString(pr.name) {
			badKeys = append(badKeys, "'"+pr.name+"'")
			if firstBad == nil {
				firstBad = pr.key
			}
			continue
		}
		v := deref(pr.val)
		switch {
		case isNull(v):
			out = append(out, EnvVar{Key: pr.name})
		case v.Kind == yaml.ScalarNode:
			s := envText(v)
			out = append(out, EnvVar{Key: pr.name, Value: &s})
		default:
			p.errorf(v, pr.path, fmt.Sprintf("Wrong type for %s value", kind),
				"The value of %s.%s must be a string (or null, to be set with --%s), got %s.", kind, pr.name, strings.TrimSuffix(kind, "s"), kindName(v))
		}
	}
	if len(badKeys) > 0 {
		p.errorf(firstBad, kind, fmt.Sprintf("Invalid %s keys", kind),
			"The `%s` field contains invalid keys:\n%s do not match any of the regexes: '^[a-zA-Z_][a-zA-Z0-9_]*$'\nNames must start with a letter or underscore and contain only letters, digits and underscores.",
			kind, strings.Join(badKeys, ", "))
	}
	return out
}

// envMap is envs ∪ secrets (secrets win), skipping unset values.
func (t *Task) envMap() map[string]string {
	m := map[string]string{}
	for _, l := range [][]EnvVar{t.Envs, t.Secrets} {
		for _, e := range l {
			if e.Value != nil {
				m[e.Key] = *e.Value
			}
		}
	}
	return m
}

// substitute replaces $VAR and ${VAR} with known values; unknown
// references stay as written.
func substitute(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return envRefRE.ReplaceAllStringFunc(s, func(m string) string {
		name := envRefRE.FindStringSubmatch(m)[1]
		if v, ok := env[name]; ok {
			return v
		}
		return m
	})
}

// substituteAny substitutes inside strings of a raw value tree (service,
// volumes), returning a new tree; keys are substituted too.
func substituteAny(v any, env map[string]string) any {
	switch x := v.(type) {
	case string:
		return substitute(x, env)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[substitute(k, env)] = substituteAny(e, env)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = substituteAny(e, env)
		}
		return l
	}
	return v
}

// checkNullEnvs reports envs and secrets still null after overrides, with
// SkyPilot's messages.
func (t *Task) checkNullEnvs() diag.Diagnostics {
	var ds diag.Diagnostics
	for _, kind := range []string{"envs", "secrets"} {
		list, flag, label := t.Envs, "--env", "Environment variable"
		if kind == "secrets" {
			list, flag, label = t.Secrets, "--secret", "Secret variable"
		}
		for _, e := range list {
			if e.Value != nil {
				continue
			}
			f := kind + "." + e.Key
			ds = append(ds, diag.Diagnostic{
				Severity: diag.Error,
				Summary:  fmt.Sprintf("%s '%s' is None", label, e.Key),
				Detail: fmt.Sprintf("%s '%s' is None. Please set a value for it in task YAML or with %s flag. To set it to be empty, use an empty string (%s: \"\" in task YAML or %s %s=\"\" in CLI).",
					label, e.Key, flag, e.Key, flag, e.Key),
				Subject: t.Source.Range(f),
				Field:   f,
			})
		}
	}
	return ds
}
