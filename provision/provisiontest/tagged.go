package provisiontest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
)

// Tagged lists every resource in moto that carries skyplan-cluster=tag in
// region: instances (not terminated), VPCs, subnets, security groups, key
// pairs, internet gateways, route tables, S3 buckets and (account-wide)
// IAM roles and instance profiles, as "kind id".
// Tags are matched client-side from each Describe call's tagSet, so the
// check does not depend on moto's filter support.
func (m *Moto) Tagged(t testing.TB, region, tag string) []string {
	t.Helper()
	var out []string
	for _, q := range []struct{ action, kind, path string }{
		{"DescribeInstances", "instance", "reservationSet>item>instancesSet>item"},
		{"DescribeVpcs", "vpc", "vpcSet>item"},
		{"DescribeSubnets", "subnet", "subnetSet>item"},
		{"DescribeSecurityGroups", "security-group", "securityGroupInfo>item"},
		{"DescribeKeyPairs", "key-pair", "keySet>item"},
		{"DescribeInternetGateways", "internet-gateway", "internetGatewaySet>item"},
		{"DescribeRouteTables", "route-table", "routeTableSet>item"},
	} {
		body := m.ec2(t, region, q.action)
		items, err := parseTagged(body, q.path)
		if err != nil {
			t.Fatalf("%s in %s: %v: %.300s", q.action, region, err, body)
		}
		for _, it := range items {
			if it.tags["skyplan-cluster"] == tag && it.state != "terminated" {
				out = append(out, q.kind+" "+it.id)
			}
		}
	}
	out = append(out, m.taggedBuckets(t, tag)...)
	out = append(out, m.taggedIAM(t, tag)...)
	sort.Strings(out)
	return out
}

type taggedItem struct {
	id, state string
	tags      map[string]string
}

// parseTagged reads the items at path (">"-separated element names) of an
// EC2 response: their id (whichever *Id / keyName element) and tagSet.
func parseTagged(body []byte, path string) ([]taggedItem, error) {
	type tagXML struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	type itemXML struct {
		InstanceID string   `xml:"instanceId"`
		VpcID      string   `xml:"vpcId"`
		SubnetID   string   `xml:"subnetId"`
		GroupID    string   `xml:"groupId"`
		KeyName    string   `xml:"keyName"`
		IgwID      string   `xml:"internetGatewayId"`
		RtbID      string   `xml:"routeTableId"`
		State      string   `xml:"instanceState>name"`
		Tags       []tagXML `xml:"tagSet>item"`
	}
	d := xml.NewDecoder(strings.NewReader(string(body)))
	want := strings.Split(path, ">")
	var stack []string
	var out []taggedItem
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			stack = append(stack, el.Name.Local)
			if len(stack) >= len(want) && strings.Join(stack[len(stack)-len(want):], ">") == path {
				var it itemXML
				if err := d.DecodeElement(&it, &el); err != nil {
					return nil, err
				}
				stack = stack[:len(stack)-1]
				ti := taggedItem{state: it.State, tags: map[string]string{}}
				// Most specific id first: a subnet item also names its VPC.
				for _, id := range []string{it.InstanceID, it.SubnetID, it.GroupID, it.IgwID, it.RtbID, it.KeyName, it.VpcID} {
					if id != "" {
						ti.id = id
						break
					}
				}
				for _, tg := range it.Tags {
					ti.tags[tg.Key] = tg.Value
				}
				out = append(out, ti)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func (m *Moto) ec2(t testing.TB, region, action string) []byte {
	t.Helper()
	return m.query(t, "ec2", region, url.Values{"Action": {action}, "Version": {"2016-11-15"}})
}

func (m *Moto) iam(t testing.TB, form url.Values) []byte {
	t.Helper()
	form.Set("Version", "2010-05-08")
	return m.query(t, "iam", "us-east-1", form)
}

// query makes one call of an AWS query-protocol service (EC2, IAM).
func (m *Moto) query(t testing.TB, service, region string, form url.Values) []byte {
	t.Helper()
	action := form.Get("Action")
	req, _ := http.NewRequest("POST", m.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0", region, service))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s in %s: %s: %.300s", action, region, resp.Status, body)
	}
	return body
}

// taggedBuckets lists S3 buckets whose tags carry skyplan-cluster=tag.
func (m *Moto) taggedBuckets(t testing.TB, tag string) []string {
	t.Helper()
	var list struct {
		Names []string `xml:"Buckets>Bucket>Name"`
	}
	if err := xml.Unmarshal(m.s3(t, http.MethodGet, "/"), &list); err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var out []string
	for _, b := range list.Names {
		req, _ := http.NewRequest(http.MethodGet, m.URL+"/"+b+"?tagging", nil)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			continue // NoSuchTagSet: untagged
		}
		var tg struct {
			Tags []struct{ Key, Value string } `xml:"TagSet>Tag"`
		}
		_ = xml.Unmarshal(body, &tg)
		for _, kv := range tg.Tags {
			if kv.Key == "skyplan-cluster" && kv.Value == tag {
				out = append(out, "bucket "+b)
			}
		}
	}
	return out
}

type iamTag struct{ Key, Value string }

func hasClusterTag(tags []iamTag, tag string) bool {
	for _, kv := range tags {
		if kv.Key == "skyplan-cluster" && kv.Value == tag {
			return true
		}
	}
	return false
}

// taggedIAM lists IAM roles and instance profiles tagged
// skyplan-cluster=tag (ListRoles carries no tags: each role's are asked).
func (m *Moto) taggedIAM(t testing.TB, tag string) []string {
	t.Helper()
	var out []string
	var roles struct {
		Names []string `xml:"ListRolesResult>Roles>member>RoleName"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListRoles"}}), &roles); err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	for _, r := range roles.Names {
		var tg struct {
			Tags []iamTag `xml:"ListRoleTagsResult>Tags>member"`
		}
		if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListRoleTags"}, "RoleName": {r}}), &tg); err != nil {
			t.Fatalf("ListRoleTags %s: %v", r, err)
		}
		if hasClusterTag(tg.Tags, tag) {
			out = append(out, "iam-role "+r)
		}
	}
	var profiles struct {
		Items []struct {
			Name string   `xml:"InstanceProfileName"`
			Tags []iamTag `xml:"Tags>member"`
		} `xml:"ListInstanceProfilesResult>InstanceProfiles>member"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListInstanceProfiles"}}), &profiles); err != nil {
		t.Fatalf("ListInstanceProfiles: %v", err)
	}
	for _, p := range profiles.Items {
		if hasClusterTag(p.Tags, tag) {
			out = append(out, "iam-instance-profile "+p.Name)
		}
	}
	return out
}

// IAM lists every IAM role, instance profile and customer-managed policy
// in moto, tagged or not ("iam-role NAME", "iam-instance-profile NAME",
// "iam-policy NAME"): IAM is account-wide, so
// a test that tears everything down expects none at all.
func (m *Moto) IAM(t testing.TB) []string {
	t.Helper()
	var roles struct {
		Names []string `xml:"ListRolesResult>Roles>member>RoleName"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListRoles"}}), &roles); err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	var profiles struct {
		Names []string `xml:"ListInstanceProfilesResult>InstanceProfiles>member>InstanceProfileName"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListInstanceProfiles"}}), &profiles); err != nil {
		t.Fatalf("ListInstanceProfiles: %v", err)
	}
	var policies struct {
		Names []string `xml:"ListPoliciesResult>Policies>member>PolicyName"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"ListPolicies"}, "Scope": {"Local"}}), &policies); err != nil {
		t.Fatalf("ListPolicies: %v", err)
	}
	var out []string
	for _, r := range roles.Names {
		out = append(out, "iam-role "+r)
	}
	for _, p := range profiles.Names {
		out = append(out, "iam-instance-profile "+p)
	}
	for _, p := range policies.Names {
		out = append(out, "iam-policy "+p)
	}
	return out
}

// RoleBoundary is the permissions boundary ARN of role name ("" = none).
func (m *Moto) RoleBoundary(t testing.TB, name string) string {
	t.Helper()
	var role struct {
		ARN string `xml:"GetRoleResult>Role>PermissionsBoundary>PermissionsBoundaryArn"`
	}
	if err := xml.Unmarshal(m.iam(t, url.Values{"Action": {"GetRole"}, "RoleName": {name}}), &role); err != nil {
		t.Fatalf("GetRole %s: %v", name, err)
	}
	return role.ARN
}

// CreateNodeRole makes what the AWS module's iam.tf makes, outside
// Terraform (what an apply killed after the IAM calls leaves): role name
// tagged skyplan-cluster=tag with the inline policy skyplan-node, and an
// instance profile of the same name holding it.
func (m *Moto) CreateNodeRole(t testing.TB, name, tag string) {
	t.Helper()
	tags := url.Values{"Tags.member.1.Key": {"skyplan-cluster"}, "Tags.member.1.Value": {tag}}
	with := func(v url.Values) url.Values {
		for k, vs := range tags {
			v[k] = vs
		}
		return v
	}
	assume := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	m.iam(t, with(url.Values{"Action": {"CreateRole"}, "RoleName": {name}, "AssumeRolePolicyDocument": {assume}}))
	m.iam(t, url.Values{"Action": {"PutRolePolicy"}, "RoleName": {name}, "PolicyName": {"skyplan-node"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::x"}]}`}})
	m.iam(t, with(url.Values{"Action": {"CreateInstanceProfile"}, "InstanceProfileName": {name}}))
	m.iam(t, url.Values{"Action": {"AddRoleToInstanceProfile"}, "InstanceProfileName": {name}, "RoleName": {name}})
}
