package task

import (
	"strings"
	"testing"
)

func TestServiceDefaults(t *testing.T) {
	tk := mustTask(t, "service:\n  readiness_probe: /health\nrun: x\n")
	s := tk.Service
	if s.Readiness.Path != "/health" || s.Readiness.InitialDelaySeconds != 1200 || s.Readiness.TimeoutSeconds != 15 {
		t.Errorf("probe = %+v", s.Readiness)
	}
	if s.Replicas.MinReplicas != 1 || s.Replicas.Max() != 1 || s.Replicas.Autoscaling() {
		t.Errorf("replicas = %+v", s.Replicas)
	}
	if s.Replicas.UpscaleDelaySeconds != 300 || s.Replicas.DownscaleDelaySeconds != 1200 {
		t.Errorf("delays = %+v", s.Replicas)
	}
	if s.LoadBalancingPolicy != "least_load" || s.TLS != nil || s.Port != 0 {
		t.Errorf("service = %+v", s)
	}
	if got := s.Summary(); got != "replicas 1; probe GET /health; lb least_load" {
		t.Errorf("summary = %q", got)
	}
}

func TestServiceFullSchema(t *testing.T) {
	tk := mustTask(t, `
envs:
  TOKEN: abc
service:
  readiness_probe:
    path: /v1/models
    initial_delay_seconds: 1800
    timeout_seconds: 30.5
    post_data: '{"model": "m", "max_tokens": 1}'
    headers:
      Authorization: Bearer $TOKEN
  replica_policy:
    min_replicas: 0
    max_replicas: 4
    target_qps_per_replica: 2.5
    upscale_delay_seconds: 60
    downscale_delay_seconds: 600
    num_overprovision: 1
    base_ondemand_fallback_replicas: 1
    dynamic_ondemand_fallback: true
    spot_placer: dynamic_fallback
  ports: 8081
  load_balancing_policy: ROUND_ROBIN
  tls:
    keyfile: ~/k.pem
    certfile: ~/c.pem
resources:
  use_spot: true
`)
	s := tk.Service
	r := s.Replicas
	if r.MinReplicas != 0 || r.Max() != 4 || *r.TargetQPSPerReplica != 2.5 || !r.Autoscaling() {
		t.Errorf("replicas = %+v", r)
	}
	if r.UpscaleDelaySeconds != 60 || r.DownscaleDelaySeconds != 600 || r.NumOverprovision != 1 ||
		r.BaseOnDemandFallbackReplicas != 1 || !r.DynamicOnDemandFallback || r.SpotPlacer != "dynamic_fallback" {
		t.Errorf("replica policy = %+v", r)
	}
	if s.Readiness.Headers["Authorization"] != "Bearer abc" || s.Readiness.TimeoutSeconds != 30.5 || s.Readiness.InitialDelaySeconds != 1800 {
		t.Errorf("probe = %+v", s.Readiness)
	}
	if pd, ok := s.Readiness.PostData.(map[string]any); !ok || pd["model"] != "m" {
		t.Errorf("post_data = %#v", s.Readiness.PostData)
	}
	if s.Port != 8081 || s.LoadBalancingPolicy != "round_robin" || s.TLS.KeyFile != "~/k.pem" || s.TLS.CertFile != "~/c.pem" {
		t.Errorf("service = %+v", s)
	}
	if ds := tk.ValidateService(); ds.HasErrors() {
		t.Errorf("ValidateService: %v", ds)
	}
	if got := s.Summary(); got != "replicas 0-4 qps/replica 2.5 +1 overprovision; probe POST /v1/models; port 8081; lb round_robin; SpotHedge; tls" {
		t.Errorf("summary = %q", got)
	}
	if tk.Source.Range("service.replica_policy.max_replicas").Start.Line != 14 {
		t.Errorf("max_replicas position = %v", tk.Source.Range("service.replica_policy.max_replicas"))
	}
}

func TestServicePerAcceleratorQPS(t *testing.T) {
	tk := mustTask(t, "service:\n  replica_policy: {min_replicas: 1, max_replicas: 3, target_qps_per_replica: {H100:1: 5, A100: 2}}\n")
	r := tk.Service.Replicas
	if r.TargetQPSPerAccelerator["H100:1"] != 5 || r.TargetQPSPerAccelerator["A100"] != 2 || !r.Autoscaling() {
		t.Errorf("qps = %+v", r)
	}
}

// TestServiceErrors: every rule of the schema gets a located diagnostic
// with SkyPilot's text.
func TestServiceErrors(t *testing.T) {
	cases := []struct {
		name, yaml, summary, detail, field string
		line, col                          int
	}{
		{"not a mapping", "service: 3\n", "Wrong type for service", "a mapping", "service", 1, 10},
		{"unknown key", "service:\n  replica: 2\n", `Unknown field "replica"`, `Did you mean "replicas"?`, "service.replica", 2, 3},
		{"both forms", "service:\n  replicas: 2\n  replica_policy: {min_replicas: 1}\n", "Cannot set both replicas and replica_policy",
			"Cannot specify both `replicas` and `replica_policy` in the service YAML. Please use one of them.", "service.replicas", 2, 3},
		{"min > max", "service:\n  replica_policy:\n    min_replicas: 3\n    max_replicas: 2\n    target_qps_per_replica: 1\n", "max_replicas below min_replicas",
			"max_replicas must be greater than or equal to min_replicas. Found: min_replicas=3, max_replicas=2", "service.replica_policy.max_replicas", 4, 19},
		{"qps without max", "service:\n  replica_policy:\n    min_replicas: 1\n    target_qps_per_replica: 5\n", "Missing max_replicas",
			"max_replicas must be set where target_qps_per_replica is set.", "service.replica_policy.max_replicas", 4, 29},
		{"min != max without qps", "service:\n  replica_policy:\n    min_replicas: 1\n    max_replicas: 3\n", "Autoscaling without target_qps_per_replica",
			"Detected different min_replicas and max_replicas while target_qps_per_replica is not set. To enable autoscaling, please set target_qps_per_replica.", "service.replica_policy.target_qps_per_replica", 4, 19},
		{"missing min", "service:\n  replica_policy: {max_replicas: 3}\n", "Missing min_replicas", "requires min_replicas", "service.replica_policy.min_replicas", 2, 3},
		{"negative min", "service:\n  replica_policy: {min_replicas: -1}\n", "Invalid min_replicas", "at least 0", "service.replica_policy.min_replicas", 2, 34},
		{"string replicas", "service:\n  replicas: two\n", "Wrong type for replicas", "an integer", "service.replicas", 2, 13},
		{"probe path slash", "service:\n  readiness_probe: health\n", "Invalid readiness probe path", "readiness_path must start with a slash (/). Got: health", "service.readiness_probe.path", 2, 20},
		{"probe no path", "service:\n  readiness_probe: {initial_delay_seconds: 5}\n", "Missing readiness_probe path", "requires path", "service.readiness_probe.path", 2, 20},
		{"probe unknown key", "service:\n  readiness_probe: {path: /, timeout: 5}\n", `Unknown field "timeout"`, "timeout_seconds", "service.readiness_probe.timeout", 2, 30},
		{"probe delay type", "service:\n  readiness_probe: {path: /, initial_delay_seconds: soon}\n", "Wrong type for initial_delay_seconds", "a number", "service.readiness_probe.initial_delay_seconds", 2, 53},
		{"post_data json", "service:\n  readiness_probe:\n    path: /\n    post_data: '{bad'\n", "Invalid post_data",
			"Invalid JSON string for `post_data` in the `readiness_probe` section of your service YAML", "service.readiness_probe.post_data", 4, 16},
		{"header type", "service:\n  readiness_probe: {path: /, headers: {X: [1]}}\n", "Wrong type for X", "a string", "service.readiness_probe.headers.X", 2, 43},
		{"port range", "service:\n  ports: 70000\n", "Invalid service port", "Port must be between 1 and 65535.", "service.ports", 2, 10},
		{"port type", "service:\n  ports: '8080'\n", "Wrong type for ports", "an integer", "service.ports", 2, 10},
		{"lb policy", "service:\n  load_balancing_policy: least_loaded\n", "Invalid load_balancing_policy", `Did you mean "least_load"?`, "service.load_balancing_policy", 2, 26},
		{"spot placer", "service:\n  replica_policy: {min_replicas: 1, spot_placer: spread}\n", "Invalid spot_placer", "dynamic_fallback", "service.replica_policy.spot_placer", 2, 50},
		{"fallback bool", "service:\n  replica_policy: {min_replicas: 1, dynamic_ondemand_fallback: yes please}\n", "Wrong type for dynamic_ondemand_fallback", "true or false", "service.replica_policy.dynamic_ondemand_fallback", 2, 64},
		{"qps negative", "service:\n  replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: -1}\n", "Invalid target_qps_per_replica", "at least 0", "service.replica_policy.target_qps_per_replica", 2, 78},
		{"qps accel key", "service:\n  replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: {h100: 1}}\n", "Invalid accelerator in target_qps_per_replica", "H100:1", "service.replica_policy.target_qps_per_replica.h100", 2, 79},
		{"tls missing cert", "service:\n  tls: {keyfile: k.pem}\n", "Missing tls certfile", "both keyfile and certfile", "service.tls.certfile", 2, 8},
		{"tls unknown", "service:\n  tls: {keyfile: k, certfile: c, ca: x}\n", `Unknown field "ca"`, "keyfile, certfile", "service.tls.ca", 2, 34},
		{"pool inside service", "service:\n  pool: {workers: 1}\n", "SkyServe pools are not supported", "replicas or replica_policy", "service.pool", 2, 3},
		{"tls missing key", "service:\n  tls: {certfile: c.pem}\n", "Missing tls keyfile", "both keyfile and certfile", "service.tls.keyfile", 2, 8},
		{"probe timeout negative", "service:\n  readiness_probe: {path: /, timeout_seconds: -1}\n", "Invalid timeout_seconds", "at least 0", "service.readiness_probe.timeout_seconds", 2, 47},
		{"upscale delay negative", "service:\n  replica_policy: {min_replicas: 1, upscale_delay_seconds: -5}\n", "Invalid upscale_delay_seconds", "at least 0", "service.replica_policy.upscale_delay_seconds", 2, 60},
		{"overprovision negative", "service:\n  replica_policy: {min_replicas: 1, num_overprovision: -1}\n", "Invalid num_overprovision", "at least 0", "service.replica_policy.num_overprovision", 2, 56},
		{"base fallback type", "service:\n  replica_policy: {min_replicas: 1, base_ondemand_fallback_replicas: x}\n", "Wrong type for base_ondemand_fallback_replicas", "an integer", "service.replica_policy.base_ondemand_fallback_replicas", 2, 70},
		{"stream timeout negative", "service:\n  load_balancer: {stream_timeout_seconds: -1}\n", "Invalid stream_timeout_seconds", "at least 0", "service.load_balancer.stream_timeout_seconds", 2, 43},
		{"load_balancer unknown key", "service:\n  load_balancer: {timeout: 5}\n", `Unknown field "timeout"`, "stream_timeout_seconds", "service.load_balancer.timeout", 2, 19},
		{"replicas negative", "service:\n  replicas: -1\n", "Invalid replicas", "at least 0", "service.replicas", 2, 13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pl, ds := parseYAML(t, c.yaml)
			if !ds.HasErrors() {
				ds = pl.ApplyOverrides(Overrides{}, func(string) string { return "" })
			}
			d := firstError(t, ds)
			if d.Summary != c.summary {
				t.Errorf("summary = %q, want %q (detail %q)", d.Summary, c.summary, d.Detail)
			}
			if !strings.Contains(d.Detail, c.detail) {
				t.Errorf("detail = %q, want it to contain %q", d.Detail, c.detail)
			}
			if d.Field != c.field {
				t.Errorf("field = %q, want %q", d.Field, c.field)
			}
			if d.Subject == nil || d.Subject.Filename != "task.yaml" || d.Subject.Start.Line != c.line || d.Subject.Start.Column != c.col {
				t.Errorf("range = %v, want task.yaml:%d:%d", d.Subject, c.line, c.col)
			}
		})
	}
}

// TestValidateService: the serve-up checks on resources (SkyServe's
// validate_service_task), each located.
func TestValidateService(t *testing.T) {
	cases := []struct {
		name, yaml, summary, detail, field string
		line                               int
	}{
		{"no port", "service: {replicas: 1}\n", "No single service port", "please set the `service.ports` field", "resources", 1},
		{"two ports", "service: {replicas: 1}\nresources:\n  ports: [8080, 8081]\n", "No single service port", "Got 2 ports", "resources.ports", 3},
		{"fallback on demand", "service:\n  ports: 80\n  replica_policy: {min_replicas: 1, dynamic_ondemand_fallback: true}\nresources:\n  cpus: 2\n",
			"On-demand fallback needs spot resources", "`use_ondemand_fallback` is only supported for spot resources", "resources", 5},
		{"placer without spot", "service:\n  ports: 80\n  replica_policy: {min_replicas: 1, spot_placer: dynamic_fallback}\n",
			"Spot placer without spot resources", "`spot_placer` requires at least one spot resource", "service.replica_policy.spot_placer", 3},
		{"mixed spot", "service: {ports: 80}\nresources:\n  any_of:\n    - use_spot: true\n    - use_spot: false\n",
			"Mixed spot and on-demand resources", "Resources must either all use spot or none use spot", "resources.any_of[0].use_spot", 4},
		{"job recovery", "service: {ports: 80}\nresources:\n  use_spot: true\n  job_recovery: FAILOVER\n",
			"job_recovery is disabled for SkyServe", "replenish preempted spot with spot instances", "resources.job_recovery", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := mustTask(t, c.yaml)
			d := firstError(t, tk.ValidateService())
			if d.Summary != c.summary || !strings.Contains(d.Detail, c.detail) || d.Field != c.field {
				t.Errorf("got %q / %q / %q", d.Summary, d.Detail, d.Field)
			}
			if d.Subject == nil || d.Subject.Start.Line != c.line {
				t.Errorf("range = %v, want line %d", d.Subject, c.line)
			}
		})
	}
	tk := mustTask(t, "service: {replicas: 2}\nresources:\n  ports: 8080\n")
	if p, ds := tk.ServicePort(); p != 8080 || ds.HasErrors() {
		t.Errorf("ServicePort = %d %v", p, ds)
	}
	if ds := mustTask(t, "run: x\n").ValidateService(); firstError(t, ds).Summary != "Service section not found" {
		t.Errorf("no service: %v", ds)
	}
}
