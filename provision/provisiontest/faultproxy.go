package provisiontest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Fault is an EC2 error the proxy answers RunInstances with.
type Fault string

const (
	InsufficientInstanceCapacity Fault = "InsufficientInstanceCapacity"
	VcpuLimitExceeded            Fault = "VcpuLimitExceeded"
	MaxSpotInstanceCountExceeded Fault = "MaxSpotInstanceCountExceeded"
	RequestLimitExceeded         Fault = "RequestLimitExceeded"
)

// FaultProxy is a reverse proxy in front of moto that fails RunInstances in
// chosen regions or zones with the EC2 error XML AWS sends.
type FaultProxy struct {
	URL string

	mu     sync.Mutex
	faults map[string]Fault // region or zone → fault
	// once: faults that fire a limited number of times (transient tests)
	budget map[string]int
	// spotFaults/spotBudget: the same, for spot requests only.
	spotFaults map[string]Fault
	spotBudget map[string]int
	// firstSpotZones: the first n zones asked for spot get firstSpotFault.
	firstSpotZones int
	firstSpotFault Fault
	spotZonesSeen  []string
	calls          map[string]int // RunInstances calls per region
	onRun          func(region, zone string)
}

// NewFaultProxy starts the proxy (closed at cleanup).
func NewFaultProxy(t testing.TB, backend string) *FaultProxy {
	t.Helper()
	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	fp := &FaultProxy{faults: map[string]Fault{}, budget: map[string]int{}, calls: map[string]int{},
		spotFaults: map[string]Fault{}, spotBudget: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fp.intercept(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	fp.URL = srv.URL
	return fp
}

// Fail makes RunInstances fail with f in key (a region such as "us-east-1"
// or a zone such as "us-east-1a"); times < 0 means always.
func (fp *FaultProxy) Fail(key string, f Fault, times int) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.faults[key] = f
	fp.budget[key] = times
}

// FailSpot makes spot RunInstances (InstanceMarketOptions.MarketType=spot)
// fail with f in key (a region or a zone); on-demand requests there still
// succeed, as when a zone's spot capacity is gone. times < 0 means always.
func (fp *FaultProxy) FailSpot(key string, f Fault, times int) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.spotFaults[key] = f
	fp.spotBudget[key] = times
}

// FailSpotInFirstZones makes the first n distinct zones that spot
// capacity is requested in have none (f, always), whatever zones those
// are: a test of spot placement need not know which zones the catalog
// ranks cheapest. It returns nothing; SpotZonesFailed says which.
func (fp *FaultProxy) FailSpotInFirstZones(n int, f Fault) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.firstSpotZones, fp.firstSpotFault = n, f
}

// SpotZonesFailed lists the zones FailSpotInFirstZones chose so far.
func (fp *FaultProxy) SpotZonesFailed() []string {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return append([]string(nil), fp.spotZonesSeen...)
}

// OnRunInstances registers a callback for every RunInstances that reaches moto.
func (fp *FaultProxy) OnRunInstances(f func(region, zone string)) {
	fp.mu.Lock()
	fp.onRun = f
	fp.mu.Unlock()
}

// Calls returns how many RunInstances requests came for region.
func (fp *FaultProxy) Calls(region string) int {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.calls[region]
}

// The SigV4 credential scope names the region: Credential=AKID/DATE/REGION/SERVICE/aws4_request.
var scopeRe = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

func (fp *FaultProxy) intercept(w http.ResponseWriter, r *http.Request) bool {
	m := scopeRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || m[2] != "ec2" || r.Method != http.MethodPost {
		return false
	}
	region := m[1]
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") != "RunInstances" {
		return false
	}
	zone := form.Get("Placement.AvailabilityZone")
	itype := form.Get("InstanceType")
	fp.mu.Lock()
	fp.calls[region]++
	fault := take(fp.faults, fp.budget, zone, region)
	if fault == "" && form.Get("InstanceMarketOptions.MarketType") == "spot" {
		fault = take(fp.spotFaults, fp.spotBudget, zone, region)
		if fault == "" && zone != "" && fp.firstSpotZones > 0 {
			chosen := false
			for _, z := range fp.spotZonesSeen {
				chosen = chosen || z == zone
			}
			if !chosen && len(fp.spotZonesSeen) < fp.firstSpotZones {
				fp.spotZonesSeen = append(fp.spotZonesSeen, zone)
				chosen = true
			}
			if chosen {
				fault = fp.firstSpotFault
			}
		}
	}
	onRun := fp.onRun
	fp.mu.Unlock()
	if fault == "" {
		if onRun != nil {
			onRun(region, zone)
		}
		return false
	}
	status, msg := faultText(fault, itype, zone, region)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>5c0b6a4e-8f1d-4c7e-9d52-%012d</RequestID></Response>`, fault, msg, len(body))
	return true
}

// faultText returns the HTTP status and message AWS uses for each error.
func faultText(f Fault, itype, zone, region string) (int, string) {
	switch f {
	case InsufficientInstanceCapacity:
		others := []string{}
		for _, s := range []string{"a", "b", "c"} {
			if region+s != zone {
				others = append(others, region+s)
			}
		}
		return 500, fmt.Sprintf("We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity. You can currently get %s capacity by not specifying an Availability Zone in your request or choosing %s.", itype, zone, itype, strings.Join(others, ", "))
	case VcpuLimitExceeded:
		return 400, "You have requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."
	case MaxSpotInstanceCountExceeded:
		return 400, "Max spot instance count exceeded"
	case RequestLimitExceeded:
		return 503, "Request limit exceeded."
	}
	return 500, "We encountered an internal error. Please try again."
}

// take returns the fault set for zone (else region) while its budget
// lasts, spending one; "" if none applies.
func take(faults map[string]Fault, budget map[string]int, zone, region string) Fault {
	key := ""
	if _, ok := faults[zone]; ok && zone != "" {
		key = zone
	} else if _, ok := faults[region]; ok {
		key = region
	}
	if key == "" || budget[key] == 0 {
		return ""
	}
	if budget[key] > 0 {
		budget[key]--
	}
	return faults[key]
}
