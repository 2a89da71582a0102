package controllervm

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/skyplan/skyplan/templates"
)

// Statement is one statement of the controller's IAM policy as written
// in templates/<cloud>/controller/iam.tf.
type Statement struct {
	Sid     string
	Deny    bool
	Actions []string
	// Conditions as written: test, variable and the values' source text
	// (references such as aws_iam_policy.node_boundary.arn stay text).
	Conditions []Condition
}

// Condition is one condition block of a statement.
type Condition struct {
	Test, Variable, Values string
}

// PolicyStatements reads the statements of the controller's policy
// document (data "aws_iam_policy_document" "controller") from the embedded
// module: what reviewers see is what the tests and docs check.
func PolicyStatements(cloudName string) ([]Statement, error) {
	return policyDocument(cloudName, "iam.tf", "controller")
}

// BoundaryStatements reads the node-role permissions boundary (data
// "aws_iam_policy_document" "node_boundary" in controller/boundary.tf).
func BoundaryStatements(cloudName string) ([]Statement, error) {
	return policyDocument(cloudName, "boundary.tf", "node_boundary")
}

func policyDocument(cloudName, file, doc string) ([]Statement, error) {
	sub, ok := templates.Controller(cloudName)
	if !ok {
		return nil, fmt.Errorf("no %s controller module", cloudName)
	}
	src, err := fs.ReadFile(sub, file)
	if err != nil {
		return nil, err
	}
	f, diags := hclsyntax.ParseConfig(src, path.Join(cloudName, "controller", file), hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	var out []Statement
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "data" || len(b.Labels) != 2 || b.Labels[0] != "aws_iam_policy_document" || b.Labels[1] != doc {
			continue
		}
		for _, st := range b.Body.Blocks {
			if st.Type != "statement" {
				continue
			}
			var s Statement
			for _, name := range []string{"sid", "effect", "actions"} {
				a, ok := st.Body.Attributes[name]
				if !ok {
					continue
				}
				v, d := a.Expr.Value(nil)
				if d.HasErrors() {
					return nil, fmt.Errorf("statement %s: %s is not a literal: %s", s.Sid, name, d.Error())
				}
				switch name {
				case "sid":
					s.Sid = v.AsString()
				case "effect":
					s.Deny = v.AsString() == "Deny"
				case "actions":
					for it := v.ElementIterator(); it.Next(); {
						_, e := it.Element()
						s.Actions = append(s.Actions, e.AsString())
					}
				}
			}
			for _, cb := range st.Body.Blocks {
				if cb.Type != "condition" {
					continue
				}
				var c Condition
				for name, dst := range map[string]*string{"test": &c.Test, "variable": &c.Variable, "values": &c.Values} {
					if a, ok := cb.Body.Attributes[name]; ok {
						r := a.Expr.Range()
						*dst = strings.Trim(string(src[r.Start.Byte:r.End.Byte]), `"`)
					}
				}
				s.Conditions = append(s.Conditions, c)
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s policy document in %s controller/%s", doc, cloudName, file)
	}
	return out, nil
}

// AllowedActions is every action an Allow statement names, sorted, once.
func AllowedActions(sts []Statement) []string {
	seen := map[string]bool{}
	for _, s := range sts {
		if s.Deny {
			continue
		}
		for _, a := range s.Actions {
			seen[a] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Allows reports whether an Allow statement names action (IAM wildcards
// "*" in the action name are honoured, case-insensitively as in IAM).
func Allows(sts []Statement, action string) bool {
	for _, s := range sts {
		if s.Deny {
			continue
		}
		for _, a := range s.Actions {
			if ok, _ := path.Match(strings.ToLower(a), strings.ToLower(action)); ok {
				return true
			}
		}
	}
	return false
}
