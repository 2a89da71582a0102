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
// pairs, internet gateways, route tables and S3 buckets, as "kind id".
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
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest("POST", m.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/ec2/aws4_request, SignedHeaders=host, Signature=0", region))
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
