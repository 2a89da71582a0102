package controllervm

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// boundaryRef is how the controller policy names the node boundary.
const boundaryRef = "aws_iam_policy.node_boundary.arn"

// liftsTheCap are IAM actions that would let the controller give a node
// role more than the boundary: attach any managed policy, change or drop
// a role's boundary, rewrite the boundary policy, or let other principals
// assume a node role.
var liftsTheCap = []string{
	"iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
	"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:UpdateAssumeRolePolicy",
}

// boundaryProblems: every Allow statement that creates roles or writes
// their policies requires the node boundary, and nothing lifts the cap.
func boundaryProblems(sts []Statement) []string {
	var out []string
	for _, s := range sts {
		if s.Deny {
			continue
		}
		one := []Statement{s}
		for _, a := range []string{"iam:CreateRole", "iam:PutRolePolicy"} {
			if !Allows(one, a) {
				continue
			}
			bounded := false
			for _, c := range s.Conditions {
				bounded = bounded || c.Test == "StringEquals" && c.Variable == "iam:PermissionsBoundary" && strings.Contains(c.Values, boundaryRef)
			}
			if !bounded {
				out = append(out, fmt.Sprintf("statement %s allows %s without requiring iam:PermissionsBoundary = %s", s.Sid, a, boundaryRef))
			}
		}
		for _, a := range liftsTheCap {
			if Allows(one, a) {
				out = append(out, fmt.Sprintf("statement %s allows %s, which lifts the node boundary", s.Sid, a))
			}
		}
	}
	return out
}

// TestNodeRolesOnlyUnderTheBoundary: the controller can create node roles
// and write their policies only with the node boundary attached, so it
// cannot grant a node (and through iam:PassRole, itself) more than the
// boundary allows.
func TestNodeRolesOnlyUnderTheBoundary(t *testing.T) {
	sts, err := PolicyStatements("aws")
	if err != nil {
		t.Fatal(err)
	}
	if !Allows(sts, "iam:CreateRole") || !Allows(sts, "iam:PutRolePolicy") {
		t.Fatal("the policy no longer creates node roles: is iam.tf parsed whole?")
	}
	for _, p := range boundaryProblems(sts) {
		t.Error(p)
	}
}

// TestBoundaryProblemsCatchUnboundedGrants: the check above fails for a
// CreateRole without the condition, a wildcard that covers PutRolePolicy,
// and an action that lifts the cap.
func TestBoundaryProblemsCatchUnboundedGrants(t *testing.T) {
	sts := []Statement{
		{Sid: "A", Actions: []string{"iam:CreateRole"}, Conditions: []Condition{{Test: "Null", Variable: "aws:RequestTag/skyplan-cluster", Values: `["false"]`}}},
		{Sid: "B", Actions: []string{"iam:Put*"}},
		{Sid: "C", Actions: []string{"iam:AttachRolePolicy"}},
		{Sid: "D", Actions: []string{"iam:CreateRole"}, Conditions: []Condition{{Test: "StringEquals", Variable: "iam:PermissionsBoundary", Values: "[" + boundaryRef + "]"}}},
		{Sid: "E", Deny: true, Actions: []string{"iam:*"}},
	}
	got := strings.Join(boundaryProblems(sts), "\n")
	for _, want := range []string{"statement A allows iam:CreateRole without", "statement B allows iam:PutRolePolicy without", "statement B allows iam:PutRolePermissionsBoundary", "statement C allows iam:AttachRolePolicy"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "statement D") || strings.Contains(got, "statement E") {
		t.Errorf("a bounded CreateRole or a Deny was reported:\n%s", got)
	}
}

// TestBoundaryCoversNodePolicy: every action the cluster module's node
// policy (templates/aws/iam.tf) can grant is inside the boundary, so a
// node launched by the controller keeps its bucket and autostop rights.
func TestBoundaryCoversNodePolicy(t *testing.T) {
	b, err := BoundaryStatements("aws")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../templates/aws/iam.tf")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	i := strings.Index(doc, `data "aws_iam_policy_document" "node"`)
	if i < 0 {
		t.Fatal("no node policy document in templates/aws/iam.tf")
	}
	// Every quoted service:Action on the node policy's actions lines
	// (one of them a conditional: stop or terminate).
	var actions []string
	quoted := regexp.MustCompile(`"([a-z0-9]+:[A-Za-z*]+)"`)
	for _, line := range regexp.MustCompile(`(?m)^\s*actions\s*=.*$`).FindAllString(doc[i:], -1) {
		for _, m := range quoted.FindAllStringSubmatch(line, -1) {
			actions = append(actions, m[1])
		}
	}
	if len(actions) < 8 {
		t.Fatalf("only %d actions found in the node policy", len(actions))
	}
	for _, a := range actions {
		if !Allows(b, a) {
			t.Errorf("the node policy grants %s, which the node boundary (controller/boundary.tf) does not allow", a)
		}
	}
}
