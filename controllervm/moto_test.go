package controllervm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/skyplan/skyplan/provision/provisiontest"
)

// motoAMI2 is a second preloaded moto image: changing the AMI replaces the instance.
const motoAMI2 = "ami-12c6146b"

// query calls one AWS Query-protocol action on moto and returns the body.
func query(t *testing.T, endpoint, service, action string, params ...string) string {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {map[string]string{"ec2": "2016-11-15", "iam": "2010-05-08"}[service]}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Set(params[i], params[i+1])
	}
	req, _ := http.NewRequest("POST", endpoint+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0", service))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %s %.300s", service, action, resp.Status, b)
	}
	return string(b)
}

// leftovers lists what moto still holds that a controller could have
// created: live instances, volumes, non-default security groups, key
// pairs, IAM roles, instance profiles and role policies, as "kind id".
func leftovers(t *testing.T, endpoint string) []string {
	t.Helper()
	var out []string
	grab := func(kind, body, pattern string) {
		for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(body, -1) {
			out = append(out, kind+" "+m[1])
		}
	}
	for _, inst := range (&provisiontest.Moto{URL: endpoint}).Instances(t, "us-east-1") {
		if inst.State != "terminated" {
			out = append(out, "instance "+inst.ID)
		}
	}
	grab("volume", query(t, endpoint, "ec2", "DescribeVolumes"), `<volumeId>(vol-[0-9a-f]+)</volumeId>`)
	for _, m := range regexp.MustCompile(`(?s)<item>\s*<groupId>(sg-[0-9a-f]+)</groupId>.*?<groupName>([^<]+)</groupName>`).FindAllStringSubmatch(query(t, endpoint, "ec2", "DescribeSecurityGroups"), -1) {
		if m[2] != "default" {
			out = append(out, "security-group "+m[1])
		}
	}
	grab("key-pair", query(t, endpoint, "ec2", "DescribeKeyPairs"), `<keyName>([^<]+)</keyName>`)
	roles := query(t, endpoint, "iam", "ListRoles")
	grab("role", roles, `<RoleName>([^<]+)</RoleName>`)
	for _, m := range regexp.MustCompile(`<RoleName>([^<]+)</RoleName>`).FindAllStringSubmatch(roles, -1) {
		grab("role-policy "+m[1], query(t, endpoint, "iam", "ListRolePolicies", "RoleName", m[1]), `<member>([^<]+)</member>`)
	}
	grab("instance-profile", query(t, endpoint, "iam", "ListInstanceProfiles"), `<InstanceProfileName>([^<]+)</InstanceProfileName>`)
	grab("policy", query(t, endpoint, "iam", "ListPolicies", "Scope", "Local"), `<PolicyName>([^<]+)</PolicyName>`)
	sort.Strings(out)
	return out
}

type node struct {
	Rank       int    `json:"rank"`
	InstanceID string `json:"instance_id"`
	PublicIP   string `json:"public_ip"`
	Zone       string `json:"zone"`
	SSHUser    string `json:"ssh_user"`
}

func outputs(t *testing.T, dir string, env []string) (nodes []node, volume, profile string) {
	t.Helper()
	var out map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(runTF(t, dir, env, "output", "-json")), &out); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(out["nodes"].Value, &nodes)
	json.Unmarshal(out["state_volume_id"].Value, &volume)
	json.Unmarshal(out["instance_profile"].Value, &profile)
	return nodes, volume, profile
}

// TestApplyReplaceDestroyOnMoto applies both roots, replaces the instance
// (a new image) and checks the state volume stays, destroys the main root
// (the volume survives, nothing else does) and then the volume root:
// moto holds nothing the controller created.
func TestApplyReplaceDestroyOnMoto(t *testing.T) {
	if testing.Short() {
		t.Skip("applies against moto")
	}
	moto := provisiontest.StartMoto(t)
	env := tfEnv(t, moto.URL)
	before := leftovers(t, moto.URL)
	dir := t.TempDir()
	in := testInput(t)
	in.AMI, in.AWSSkipAccountChecks, in.Zone = motoAMI, true, "us-east-1b"
	if err := compileInput(t, in).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, root := range ApplyOrder {
		d := filepath.Join(dir, root)
		runTF(t, d, env, "init", "-input=false")
		t.Cleanup(func() { tf(d, env, "destroy", "-auto-approve", "-input=false") })
	}
	for _, root := range ApplyOrder {
		runTF(t, filepath.Join(dir, root), env, "apply", "-auto-approve", "-input=false")
	}
	nodes, vol, profile := outputs(t, dir, env)
	if len(nodes) != 1 || !strings.HasPrefix(nodes[0].InstanceID, "i-") || nodes[0].PublicIP == "" || nodes[0].Zone != "us-east-1b" || nodes[0].SSHUser != "ubuntu" {
		t.Fatalf("nodes: %+v", nodes)
	}
	if !strings.HasPrefix(vol, "vol-") || !strings.HasPrefix(profile, "skyplan-ctl-test-ctl-") {
		t.Fatalf("volume %q profile %q", vol, profile)
	}
	desc := query(t, moto.URL, "ec2", "DescribeInstances", "InstanceId.1", nodes[0].InstanceID)
	if !strings.Contains(desc, profile) {
		t.Errorf("instance has not the controller's instance profile:\n%.2000s", desc)
	}
	if v := query(t, moto.URL, "ec2", "DescribeVolumes", "VolumeId.1", vol); !strings.Contains(v, nodes[0].InstanceID) || !strings.Contains(v, "<encrypted>true</encrypted>") {
		t.Errorf("state volume not attached to the instance or not encrypted:\n%s", v)
	}

	// A new image replaces the instance; the volume is the same one.
	in.AMI = motoAMI2
	if err := compileInput(t, in).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	runTF(t, dir, env, "apply", "-auto-approve", "-input=false")
	nodes2, vol2, _ := outputs(t, dir, env)
	if len(nodes2) != 1 || nodes2[0].InstanceID == nodes[0].InstanceID || vol2 != vol {
		t.Fatalf("replacement: instance %s → %+v, volume %s → %s", nodes[0].InstanceID, nodes2, vol, vol2)
	}

	// down --keep-volume: everything but the volume goes.
	runTF(t, dir, env, "destroy", "-auto-approve", "-input=false")
	left := leftovers(t, moto.URL)
	if want := append(append([]string{}, before...), "volume "+vol); strings.Join(left, "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Errorf("after destroying the main root, want only the state volume left:\n%s", strings.Join(left, "\n"))
	}
	runTF(t, filepath.Join(dir, VolumeDir), env, "destroy", "-auto-approve", "-input=false")
	if left := leftovers(t, moto.URL); strings.Join(left, "\n") != strings.Join(before, "\n") {
		t.Errorf("leftovers after down:\n%s\n(before: %v)", strings.Join(left, "\n"), before)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
