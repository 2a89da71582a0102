package task

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

// SkyServe defaults (sky/serve/constants.py).
const (
	DefaultReadinessPath           = "/"
	DefaultInitialDelaySeconds     = 1200
	DefaultReadinessTimeoutSeconds = 15
	DefaultMinReplicas             = 1
	DefaultUpscaleDelaySeconds     = 300
	DefaultDownscaleDelaySeconds   = 1200
	DefaultLoadBalancingPolicy     = "least_load"
	// SpotPlacerDynamicFallback is SkyServe's only spot placer (SpotHedge's).
	SpotPlacerDynamicFallback = "dynamic_fallback"
)

// LoadBalancingPolicies are the names SkyPilot accepts for
// service.load_balancing_policy.
var LoadBalancingPolicies = []string{"round_robin", "least_load", "instance_aware_least_load"}

// SpotPlacers are the names SkyPilot accepts for replica_policy.spot_placer.
var SpotPlacers = []string{SpotPlacerDynamicFallback}

var serviceFields = []string{"readiness_probe", "replica_policy", "replicas", "ports",
	"load_balancing_policy", "tls", "load_balancer", "pool", "workers"}
var probeFields = []string{"path", "initial_delay_seconds", "timeout_seconds", "post_data", "headers",
	"endpoint_probe_interval_seconds", "consecutive_failure_threshold_timeout"}
var replicaPolicyFields = []string{"min_replicas", "max_replicas", "target_qps_per_replica",
	"upscale_delay_seconds", "downscale_delay_seconds", "num_overprovision",
	"base_ondemand_fallback_replicas", "dynamic_ondemand_fallback", "spot_placer"}

// accelQPSKeyRE is SkyPilot's key pattern for per-accelerator QPS targets
// ("H100:1", "A100").
var accelQPSKeyRE = regexp.MustCompile(`^[A-Z0-9]+(?::[0-9]+)?$`)

// Service is a task's SkyServe `service:` section with SkyPilot's defaults
// filled in. Strings have had $VAR substitution from envs and secrets
// applied (so Readiness.Headers and Readiness.PostData may hold secrets:
// never write them to logs or state in clear).
type Service struct {
	Readiness ReadinessProbe
	Replicas  ReplicaPolicy
	// Port is service.ports: the replica's ingress port; 0 means "infer it
	// from the task's resources.ports" (see Task.ServicePort).
	Port int
	// LoadBalancingPolicy is least_load (default), round_robin or
	// instance_aware_least_load.
	LoadBalancingPolicy string
	TLS                 *TLS
	// StreamTimeoutSeconds is load_balancer.stream_timeout_seconds (0 = none).
	StreamTimeoutSeconds float64
}

// ReadinessProbe is service.readiness_probe: GET Path, or POST PostData.
type ReadinessProbe struct {
	Path                string
	InitialDelaySeconds float64
	TimeoutSeconds      float64
	// PostData is the JSON body (a string in the YAML is parsed as JSON);
	// nil means the probe is a GET.
	PostData any
	Headers  map[string]string
	// ProbeIntervalSeconds and FailureThresholdSeconds are 0 when unset
	// (the controller's defaults apply).
	ProbeIntervalSeconds    float64
	FailureThresholdSeconds float64
}

// ReplicaPolicy is service.replicas or service.replica_policy.
type ReplicaPolicy struct {
	MinReplicas int
	// MaxReplicas is nil for a fixed-size service (replicas: N, or no
	// max_replicas); use Max.
	MaxReplicas *int
	// TargetQPSPerReplica is nil without autoscaling. TargetQPSPerAccelerator
	// holds the per-accelerator form ({"H100:1": 5}).
	TargetQPSPerReplica     *float64
	TargetQPSPerAccelerator map[string]float64
	UpscaleDelaySeconds     float64
	DownscaleDelaySeconds   float64
	NumOverprovision        int
	// BaseOnDemandFallbackReplicas on-demand replicas always run besides spot.
	BaseOnDemandFallbackReplicas int
	// DynamicOnDemandFallback launches on-demand replicas while spot ones
	// are not ready (SpotHedge with SpotPlacer dynamic_fallback).
	DynamicOnDemandFallback bool
	SpotPlacer              string // "" or dynamic_fallback
}

// TLS is service.tls: the load balancer serves HTTPS with these files.
type TLS struct {
	KeyFile  string
	CertFile string
}

// Max is the upper replica bound (MinReplicas when fixed).
func (r ReplicaPolicy) Max() int {
	if r.MaxReplicas == nil {
		return r.MinReplicas
	}
	return *r.MaxReplicas
}

// Autoscaling reports whether the replica count follows load.
func (r ReplicaPolicy) Autoscaling() bool {
	return (r.TargetQPSPerReplica != nil || r.TargetQPSPerAccelerator != nil) && r.Max() != r.MinReplicas
}

// UseOnDemandFallback is SkyPilot's use_ondemand_fallback: dynamic
// fallback, or at least one base on-demand replica.
func (r ReplicaPolicy) UseOnDemandFallback() bool {
	return r.DynamicOnDemandFallback || r.BaseOnDemandFallbackReplicas > 0
}

// parseService reads the service section at n (a mapping); it validates
// everything that does not depend on env values (types, keys, ranges, the
// cross-field rules of SkyServiceSpec). Strings are substituted later by
// substituted.
func (p *parser) parseService(n *yaml.Node) *Service {
	s := &Service{
		Readiness: ReadinessProbe{Path: DefaultReadinessPath, InitialDelaySeconds: DefaultInitialDelaySeconds,
			TimeoutSeconds: DefaultReadinessTimeoutSeconds},
		Replicas: ReplicaPolicy{MinReplicas: DefaultMinReplicas, UpscaleDelaySeconds: DefaultUpscaleDelaySeconds,
			DownscaleDelaySeconds: DefaultDownscaleDelaySeconds},
		LoadBalancingPolicy: DefaultLoadBalancingPolicy,
	}
	pairs, ok := p.mapping(n, "service", "service", serviceFields)
	if !ok {
		return nil
	}
	var replicasNode, policyNode, policyVal *yaml.Node
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		v := deref(pr.val)
		if isNull(v) {
			continue
		}
		switch pr.name {
		case "readiness_probe":
			p.readinessProbe(&s.Readiness, v, pr.path)
		case "replicas":
			replicasNode = pr.key
			if i, ok := p.intMin(v, pr.path, 0); ok {
				s.Replicas.MinReplicas = i
			}
		case "replica_policy":
			policyNode, policyVal = pr.key, v
		case "ports":
			if i, ok := p.integer(v, pr.path); ok {
				if i < 1 || i > 65535 {
					p.errorf(v, pr.path, "Invalid service port", "Port must be between 1 and 65535. Got %d; set service.ports to the port the replica's server listens on.", i)
				}
				s.Port = i
			}
		case "load_balancing_policy":
			if l, ok := p.enum(v, pr.path, LoadBalancingPolicies); ok {
				s.LoadBalancingPolicy = l
			}
		case "tls":
			s.TLS = p.tls(v, pr.path)
		case "load_balancer":
			lp, _ := p.mapping(v, pr.path, pr.path, []string{"stream_timeout_seconds"})
			for _, e := range lp {
				p.record(e.path, e.val)
				s.StreamTimeoutSeconds, _ = p.number(e.val, e.path, true)
			}
		case "pool", "workers":
			p.errorf(pr.key, pr.path, "SkyServe pools are not supported",
				"service.%s configures a SkyPilot pool, which skyplan does not run. Remove it and use replicas or replica_policy.", pr.name)
		}
	}
	if replicasNode != nil && policyNode != nil {
		p.errorf(replicasNode, "service.replicas", "Cannot set both replicas and replica_policy",
			"Cannot specify both `replicas` and `replica_policy` in the service YAML. Please use one of them.")
		return s
	}
	if policyNode != nil {
		p.replicaPolicy(&s.Replicas, policyVal, "service.replica_policy", policyNode)
	}
	return s
}

func (p *parser) readinessProbe(r *ReadinessProbe, v *yaml.Node, path string) {
	if v.Kind == yaml.ScalarNode {
		if s, ok := p.str(v, path); ok {
			r.Path = s
			p.record(path+".path", v)
		}
		return
	}
	if v.Kind != yaml.MappingNode {
		p.typeError(v, path, "a path string or a mapping {path, initial_delay_seconds, timeout_seconds, post_data, headers}")
		return
	}
	pairs, _ := p.mapping(v, path, path, probeFields)
	hasPath := false
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		e := deref(pr.val)
		switch pr.name {
		case "path":
			hasPath = true
			r.Path, _ = p.str(e, pr.path)
		case "initial_delay_seconds":
			r.InitialDelaySeconds, _ = p.number(e, pr.path, true)
		case "timeout_seconds":
			r.TimeoutSeconds, _ = p.number(e, pr.path, true)
		case "endpoint_probe_interval_seconds":
			r.ProbeIntervalSeconds, _ = p.number(e, pr.path, true)
		case "consecutive_failure_threshold_timeout":
			r.FailureThresholdSeconds, _ = p.number(e, pr.path, true)
		case "post_data":
			if e.Kind == yaml.ScalarNode {
				if s, ok := p.str(e, pr.path); ok {
					r.PostData = s // JSON text, checked after substitution
				}
			} else if e.Kind == yaml.MappingNode {
				r.PostData = p.toAny(e, pr.path, 0)
			} else {
				p.typeError(e, pr.path, "a JSON string or a mapping")
			}
		case "headers":
			hp, ok := p.mapping(e, pr.path, pr.path, nil)
			if ok {
				r.Headers = map[string]string{}
			}
			for _, h := range hp {
				p.record(h.path, h.val)
				if s, ok := p.str(h.val, h.path); ok {
					r.Headers[h.name] = s
				}
			}
		}
	}
	if !hasPath {
		p.errorf(v, path+".path", "Missing readiness_probe path",
			"readiness_probe as a mapping requires path, e.g. {path: /health, initial_delay_seconds: 300}.")
	}
}

func (p *parser) replicaPolicy(r *ReplicaPolicy, v *yaml.Node, path string, key *yaml.Node) {
	pairs, ok := p.mapping(v, path, path, replicaPolicyFields)
	if !ok {
		return
	}
	hasMin := false
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		e := deref(pr.val)
		if isNull(e) {
			continue
		}
		switch pr.name {
		case "min_replicas":
			hasMin = true
			r.MinReplicas, _ = p.intMin(e, pr.path, 0)
		case "max_replicas":
			if i, ok := p.intMin(e, pr.path, 0); ok {
				r.MaxReplicas = &i
			}
		case "num_overprovision":
			r.NumOverprovision, _ = p.intMin(e, pr.path, 0)
		case "base_ondemand_fallback_replicas":
			r.BaseOnDemandFallbackReplicas, _ = p.intMin(e, pr.path, 0)
		case "target_qps_per_replica":
			if e.Kind == yaml.MappingNode {
				r.TargetQPSPerAccelerator = p.qpsPerAccelerator(e, pr.path)
			} else if f, ok := p.number(e, pr.path, true); ok {
				r.TargetQPSPerReplica = &f
			}
		case "upscale_delay_seconds":
			r.UpscaleDelaySeconds, _ = p.number(e, pr.path, true)
		case "downscale_delay_seconds":
			r.DownscaleDelaySeconds, _ = p.number(e, pr.path, true)
		case "dynamic_ondemand_fallback":
			r.DynamicOnDemandFallback, _ = p.boolean(e, pr.path)
		case "spot_placer":
			r.SpotPlacer, _ = p.enum(e, pr.path, SpotPlacers)
		}
	}
	if !hasMin {
		p.errorf(key, path+".min_replicas", "Missing min_replicas",
			"replica_policy requires min_replicas, e.g. {min_replicas: 1, max_replicas: 3, target_qps_per_replica: 5}.")
		return
	}
	hasQPS := r.TargetQPSPerReplica != nil || r.TargetQPSPerAccelerator != nil
	switch {
	case r.MaxReplicas != nil && *r.MaxReplicas < r.MinReplicas:
		p.errorf(p.nodeAt(path+".max_replicas"), path+".max_replicas", "max_replicas below min_replicas",
			"max_replicas must be greater than or equal to min_replicas. Found: min_replicas=%d, max_replicas=%d. Raise max_replicas or lower min_replicas.", r.MinReplicas, *r.MaxReplicas)
	case hasQPS && r.MaxReplicas == nil:
		p.errorf(p.nodeAt(path+".target_qps_per_replica"), path+".max_replicas", "Missing max_replicas",
			"max_replicas must be set where target_qps_per_replica is set. Add max_replicas (the most replicas autoscaling may run), e.g. max_replicas: 3.")
	case !hasQPS && r.MaxReplicas != nil && *r.MaxReplicas != r.MinReplicas:
		p.errorf(p.nodeAt(path+".max_replicas"), path+".target_qps_per_replica", "Autoscaling without target_qps_per_replica",
			"Detected different min_replicas and max_replicas while target_qps_per_replica is not set. To enable autoscaling, please set target_qps_per_replica.")
	}
}

func (p *parser) qpsPerAccelerator(n *yaml.Node, path string) map[string]float64 {
	pairs, _ := p.mapping(n, path, path, nil)
	m := map[string]float64{}
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		if !accelQPSKeyRE.MatchString(pr.name) {
			p.errorf(pr.key, pr.path, "Invalid accelerator in target_qps_per_replica",
				"Keys of target_qps_per_replica must be accelerator types like H100 or H100:1, got %q.", pr.name)
			continue
		}
		if f, ok := p.number(pr.val, pr.path, true); ok {
			m[pr.name] = f
		}
	}
	return m
}

func (p *parser) tls(v *yaml.Node, path string) *TLS {
	pairs, ok := p.mapping(v, path, path, []string{"keyfile", "certfile"})
	if !ok {
		return nil
	}
	t := &TLS{}
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		s, _ := p.str(pr.val, pr.path)
		if pr.name == "keyfile" {
			t.KeyFile = s
		} else {
			t.CertFile = s
		}
	}
	for _, f := range []struct{ name, val string }{{"keyfile", t.KeyFile}, {"certfile", t.CertFile}} {
		if f.val == "" && p.nodeAt(path+"."+f.name) == nil {
			p.errorf(v, path+"."+f.name, "Missing tls "+f.name,
				"tls requires both keyfile and certfile, e.g. {keyfile: ~/certs/key.pem, certfile: ~/certs/cert.pem}.")
		}
	}
	return t
}

// integer reads a YAML int.
func (p *parser) integer(n *yaml.Node, field string) (int, bool) {
	n = deref(n)
	var i int
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
		p.typeError(n, field, "an integer")
		return 0, false
	}
	return i, true
}

// intMin reads a YAML int >= min.
func (p *parser) intMin(n *yaml.Node, field string, min int) (int, bool) {
	i, ok := p.integer(n, field)
	if ok && i < min {
		p.errorf(n, field, "Invalid "+lastSegment(field), "%s must be at least %d, got %d.", lastSegment(field), min, i)
		return 0, false
	}
	return i, ok
}

// number reads a YAML int or float (>= 0 when nonNegative).
func (p *parser) number(n *yaml.Node, field string, nonNegative bool) (float64, bool) {
	n = deref(n)
	var f float64
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
		p.typeError(n, field, "a number")
		return 0, false
	}
	if nonNegative && f < 0 {
		p.errorf(n, field, "Invalid "+lastSegment(field), "%s must be at least 0, got %s.", lastSegment(field), n.Value)
		return 0, false
	}
	return f, true
}

// substituted returns a copy of s with $VAR references in its strings
// replaced from env, and checks what SkyPilot checks after substitution
// (the probe path's leading slash, post_data JSON).
func (s *Service) substituted(env map[string]string, src Source) (*Service, diag.Diagnostics) {
	c := *s
	var ds diag.Diagnostics
	c.Readiness.Path = substitute(s.Readiness.Path, env)
	if s.Readiness.Headers != nil {
		c.Readiness.Headers = make(map[string]string, len(s.Readiness.Headers))
		for k, v := range s.Readiness.Headers {
			c.Readiness.Headers[k] = substitute(v, env)
		}
	}
	if s.TLS != nil {
		c.TLS = &TLS{KeyFile: substitute(s.TLS.KeyFile, env), CertFile: substitute(s.TLS.CertFile, env)}
	}
	switch pd := s.Readiness.PostData.(type) {
	case string:
		var v any
		if err := json.Unmarshal([]byte(substitute(pd, env)), &v); err != nil {
			f := "service.readiness_probe.post_data"
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid post_data",
				Detail:  "Invalid JSON string for `post_data` in the `readiness_probe` section of your service YAML (" + err.Error() + "). Write it as a YAML mapping or as valid JSON.",
				Subject: src.Range(f), Field: f})
		}
		c.Readiness.PostData = v
	case nil:
	default:
		c.Readiness.PostData = substituteAny(pd, env)
	}
	if !strings.HasPrefix(c.Readiness.Path, "/") {
		f := "service.readiness_probe.path"
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid readiness probe path",
			Detail:  fmt.Sprintf("readiness_path must start with a slash (/). Got: %s. Write the probe as an absolute path, e.g. /%s.", c.Readiness.Path, c.Readiness.Path),
			Subject: src.Range(f), Field: f})
	}
	return &c, ds
}
