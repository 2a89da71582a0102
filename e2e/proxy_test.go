package e2e

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The ssh_proxy_command helper: `SKYPLAN_E2E_AS_PROXY=1 e2e.test HOST PORT`
// (the test binary re-executed). moto's instances have made-up addresses
// nobody listens on, so the helper asks moto which running instance has
// HOST as its private or public IP, reads the instance's skyplan-node-rank
// tag, and splices stdin/stdout to the sshd of that rank. Mapping by the
// tag the compiled module sets needs no coordination with the test while
// apply runs, and checks that the nodes output and the instances agree.
//
// Environment: SKYPLAN_E2E_MOTO (moto's URL, no fault injection),
// SKYPLAN_E2E_SSHD ("ip:port,ip:port", by rank).

var awsRegions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
	"eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-south-1",
	"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
	"ap-east-1", "me-south-1", "af-south-1"}

func proxyMain(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: e2e.test HOST [PORT]")
		return 2
	}
	host := args[0]
	endpoints := strings.Split(os.Getenv("SKYPLAN_E2E_SSHD"), ",")
	// The runner discards a proxy command's stderr; failures also go to
	// SKYPLAN_E2E_PROXY_LOG so a test that cannot reach a node says why.
	fail := func(format string, a ...any) int {
		msg := fmt.Sprintf("skyplan e2e proxy: "+format+"\n", a...)
		fmt.Fprint(os.Stderr, msg)
		if p := os.Getenv("SKYPLAN_E2E_PROXY_LOG"); p != "" {
			if f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				f.WriteString(msg)
				f.Close()
			}
		}
		return 1
	}
	var rank int
	var err error
	if dir := os.Getenv(claimsEnv); dir != "" {
		rank, err = claimNode(os.Getenv("SKYPLAN_E2E_MOTO"), dir, host, len(endpoints))
	} else {
		rank, err = rankOf(os.Getenv("SKYPLAN_E2E_MOTO"), host)
	}
	if err != nil {
		return fail("%s: %v", host, err)
	}
	endpoint := ""
	switch {
	case rank == controllerRank:
		// The controller VM (skyplan-controller tag) has its own node.
		endpoint = os.Getenv("SKYPLAN_E2E_CONTROLLER_SSHD")
		if endpoint == "" {
			return fail("%s is a controller VM but SKYPLAN_E2E_CONTROLLER_SSHD is not set", host)
		}
	case rank < 0 || rank >= len(endpoints):
		return fail("%s has rank %d; only %d sshd endpoints", host, rank, len(endpoints))
	default:
		endpoint = endpoints[rank]
	}
	conn, err := net.DialTimeout("tcp", endpoint, 5*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	// The connection ends when sshd closes it; stdin reaching EOF only
	// half-closes it.
	go func() { io.Copy(conn, os.Stdin); conn.(*net.TCPConn).CloseWrite() }()
	io.Copy(os.Stdout, conn)
	return 0
}

type motoInstance struct {
	ID        string `xml:"instanceId"`
	State     string `xml:"instanceState>name"`
	PrivateIP string `xml:"privateIpAddress"`
	PublicIP  string `xml:"ipAddress"`
	Tags      []struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	} `xml:"tagSet>item"`
}

// controllerRank is what rankOf reports for a controller VM.
const controllerRank = 1 << 20

// rankOf finds the running instance with address host in any region.
func rankOf(moto, host string) (int, error) {
	var mu sync.Mutex
	found := -1
	var firstErr error
	var wg sync.WaitGroup
	for _, region := range awsRegions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts, err := describeInstances(moto, region)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = err
				return
			}
			for _, in := range insts {
				if in.State != "running" && in.State != "pending" {
					continue
				}
				if in.PrivateIP != host && in.PublicIP != host {
					continue
				}
				for _, tg := range in.Tags {
					switch tg.Key {
					case "skyplan-node-rank":
						found, _ = strconv.Atoi(tg.Value)
					case "skyplan-controller":
						found = controllerRank
					}
				}
			}
		}()
	}
	wg.Wait()
	if found < 0 {
		if firstErr != nil {
			return -1, firstErr
		}
		return -1, fmt.Errorf("no running instance with that address carries a skyplan-node-rank tag")
	}
	return found, nil
}

func describeInstances(moto, region string) ([]motoInstance, error) {
	form := url.Values{"Action": {"DescribeInstances"}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest("POST", moto+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto takes the region from the SigV4 scope and ignores the signature.
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=testing/20260101/%s/ec2/aws4_request, SignedHeaders=host, Signature=0", region))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("DescribeInstances in %s: %s", region, resp.Status)
	}
	var doc struct {
		Items []motoInstance `xml:"reservationSet>item>instancesSet>item"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("DescribeInstances in %s: %v", region, err)
	}
	return doc.Items, nil
}
