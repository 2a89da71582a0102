package controllervm

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// actionRecorder is a reverse proxy in front of moto that records the IAM
// action name ("ec2:RunInstances", "s3:PutBucketVersioning") of every AWS
// API request passing through it: the exact set of permissions a
// Terraform run needed.
type actionRecorder struct {
	URL  string
	mu   sync.Mutex
	seen map[string]int
}

func newActionRecorder(t *testing.T, backend string) *actionRecorder {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	r := &actionRecorder{seen: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if a := iamAction(req, body); a != "" {
			r.mu.Lock()
			r.seen[a]++
			r.mu.Unlock()
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// Actions returns the recorded actions, sorted.
func (r *actionRecorder) Actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.seen))
	for a := range r.seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// iamAction names the IAM action of one signed AWS request: the service
// from the SigV4 credential scope, the operation from X-Amz-Target (JSON
// protocols), the Action parameter (query protocols) or, for S3's REST
// API, the method and subresource.
func iamAction(req *http.Request, body []byte) string {
	auth := req.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return ""
	}
	scope := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(scope) < 5 {
		return ""
	}
	service := scope[3]
	prefix := map[string]string{"tagging": "tag"}[service]
	if prefix == "" {
		prefix = service
	}
	if tgt := req.Header.Get("X-Amz-Target"); tgt != "" {
		return prefix + ":" + tgt[strings.LastIndex(tgt, ".")+1:]
	}
	if service == "s3" {
		return "s3:" + s3Action(req)
	}
	vals, _ := url.ParseQuery(string(body))
	if a := vals.Get("Action"); a != "" {
		return prefix + ":" + a
	}
	if a := req.URL.Query().Get("Action"); a != "" {
		return prefix + ":" + a
	}
	return prefix + ":?" + req.Method + " " + req.URL.Path
}

// s3Subresources maps a bucket subresource to the IAM action suffix of
// reading (Get…) and writing (Put…) it; IAM's names are not regular.
var s3Subresources = map[string][2]string{
	"acl":               {"GetBucketAcl", "PutBucketAcl"},
	"policy":            {"GetBucketPolicy", "PutBucketPolicy"},
	"cors":              {"GetBucketCORS", "PutBucketCORS"},
	"website":           {"GetBucketWebsite", "PutBucketWebsite"},
	"accelerate":        {"GetAccelerateConfiguration", "PutAccelerateConfiguration"},
	"requestPayment":    {"GetBucketRequestPayment", "PutBucketRequestPayment"},
	"logging":           {"GetBucketLogging", "PutBucketLogging"},
	"lifecycle":         {"GetLifecycleConfiguration", "PutLifecycleConfiguration"},
	"replication":       {"GetReplicationConfiguration", "PutReplicationConfiguration"},
	"encryption":        {"GetEncryptionConfiguration", "PutEncryptionConfiguration"},
	"object-lock":       {"GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration"},
	"tagging":           {"GetBucketTagging", "PutBucketTagging"},
	"publicAccessBlock": {"GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock"},
	"versioning":        {"GetBucketVersioning", "PutBucketVersioning"},
	"ownershipControls": {"GetBucketOwnershipControls", "PutBucketOwnershipControls"},
	"location":          {"GetBucketLocation", ""},
	"policyStatus":      {"GetBucketPolicyStatus", ""},
	"notification":      {"GetBucketNotification", "PutBucketNotification"},
}

func s3Action(req *http.Request) string {
	path := strings.TrimPrefix(req.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := req.URL.Query()
	if bucket == "" {
		return "ListAllMyBuckets"
	}
	if key != "" {
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			return "GetObject"
		case http.MethodPut, http.MethodPost:
			return "PutObject"
		case http.MethodDelete:
			if q.Has("versionId") {
				return "DeleteObjectVersion"
			}
			return "DeleteObject"
		}
	}
	for sub, names := range s3Subresources {
		if !q.Has(sub) {
			continue
		}
		switch req.Method {
		case http.MethodGet, http.MethodHead:
			return names[0]
		case http.MethodDelete:
			// Deleting a bucket's encryption/tagging/... is its Put action in IAM.
			if names[1] != "" {
				return names[1]
			}
		default:
			return names[1]
		}
	}
	switch {
	case req.Method == http.MethodPost && q.Has("delete"):
		return "DeleteObject"
	case q.Has("versions"):
		return "ListBucketVersions"
	case q.Has("uploads"):
		return "ListBucketMultipartUploads"
	case req.Method == http.MethodPut:
		return "CreateBucket"
	case req.Method == http.MethodDelete:
		return "DeleteBucket"
	default: // GET / HEAD bucket: list objects, head bucket
		return "ListBucket"
	}
}
