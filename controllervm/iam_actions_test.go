package controllervm

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// iamActionsDoc is every action of the controller's policy with its
// reason, one "STATEMENT_SID ACTION -- reason" a line.
const iamActionsDoc = "../testdata/controllervm/iam-actions.txt"

// readActionReasons parses the documented actions as "SID ACTION" →
// reason; a malformed or duplicate line fails the test.
func readActionReasons(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, " -- ")
		fields := strings.Fields(key)
		if !ok || strings.TrimSpace(reason) == "" || len(fields) != 2 || !strings.Contains(fields[1], ":") {
			t.Fatalf("%s:%d: want \"STATEMENT_SID service:Action -- reason\", got %q", path, n, line)
		}
		k := fields[0] + " " + fields[1]
		if _, dup := out[k]; dup {
			t.Fatalf("%s:%d: %s listed twice", path, n, k)
		}
		out[k] = strings.TrimSpace(reason)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// policyMismatch compares the policy's statements with the documented
// reasons: actions without a reason, reasons for actions the statement
// no longer names, statements without a unique sid.
func policyMismatch(sts []Statement, reasons map[string]string) []string {
	var problems []string
	inPolicy := map[string]bool{}
	sids := map[string]bool{}
	for _, s := range sts {
		if s.Sid == "" || sids[s.Sid] {
			problems = append(problems, fmt.Sprintf("statement %q: every statement needs its own sid (the documented list is keyed by it)", s.Sid))
		}
		sids[s.Sid] = true
		for _, a := range s.Actions {
			k := s.Sid + " " + a
			inPolicy[k] = true
			if _, ok := reasons[k]; !ok {
				problems = append(problems, fmt.Sprintf("%s is in statement %s without a documented reason: add %q to %s", a, s.Sid, k+" -- REASON", iamActionsDoc))
			}
		}
	}
	for k := range reasons {
		if !inPolicy[k] {
			problems = append(problems, fmt.Sprintf("%s documents %s, which the policy no longer has: remove the line", iamActionsDoc, k))
		}
	}
	sort.Strings(problems)
	return problems
}

// TestPolicyActionsDocumented lists every action of the controller's
// instance-profile policy (Allow and Deny statements, as written in
// templates/aws/controller/iam.tf) and checks that it equals the
// documented list: a new action without a reason fails, and so does a
// reason for an action that is gone.
func TestPolicyActionsDocumented(t *testing.T) {
	sts, err := PolicyStatements("aws")
	if err != nil {
		t.Fatal(err)
	}
	reasons := readActionReasons(t, iamActionsDoc)
	for _, p := range policyMismatch(sts, reasons) {
		t.Error(p)
	}
	n := 0
	for _, s := range sts {
		for _, a := range s.Actions {
			n++
			t.Logf("%-38s %-40s %s", s.Sid, a, reasons[s.Sid+" "+a])
		}
	}
	if n < 100 {
		t.Errorf("policy has only %d actions: is iam.tf parsed whole?", n)
	}
}

// TestPolicyMismatchCatchesNewAction: the check above fails for an
// action added without a reason, a reason left behind, and a sid reused.
func TestPolicyMismatchCatchesNewAction(t *testing.T) {
	reasons := map[string]string{"Read ec2:DescribeVpcs": "refresh", "Gone ec2:DeleteVpc": "teardown"}
	sts := []Statement{{Sid: "Read", Actions: []string{"ec2:DescribeVpcs", "ec2:DescribeSubnets"}}, {Sid: "Read", Actions: nil}}
	got := strings.Join(policyMismatch(sts, reasons), "\n")
	for _, want := range []string{"ec2:DescribeSubnets is in statement Read without a documented reason", "Gone ec2:DeleteVpc, which the policy no longer has", `statement "Read": every statement needs its own sid`} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	if p := policyMismatch(sts[:1], map[string]string{"Read ec2:DescribeVpcs": "r", "Read ec2:DescribeSubnets": "r"}); len(p) != 0 {
		t.Errorf("documented policy reported: %v", p)
	}
}
