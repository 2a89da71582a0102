package task

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// ValidateService checks what SkyServe checks before `serve up`
// (serve_utils.validate_service_task): the service section exists, spot and
// on-demand candidates are not mixed without a fallback policy, on-demand
// fallback and spot placers ask for spot resources, job_recovery is not
// set, and one ingress port can be resolved. Parsing alone does not run
// these: `skyplan apply` of a service YAML ignores the section, as `sky
// launch` does.
func (t *Task) ValidateService() diag.Diagnostics {
	var ds diag.Diagnostics
	if t.Service == nil {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Service section not found",
			Detail:  "A service YAML needs a service: section, e.g. service: {readiness_probe: /health, replicas: 2}.",
			Subject: t.Source.Range(""), Field: "service"})
		return ds
	}
	svc := t.Service
	spot := 0
	for _, r := range t.Resources.Items {
		if r.UseSpot {
			spot++
		}
	}
	items := t.Resources.Items
	if spot != 0 && spot != len(items) && svc.Replicas.SpotPlacer == "" {
		ds = append(ds, t.resourceDiag(items, "use_spot", "Mixed spot and on-demand resources",
			"Resources must either all use spot or none use spot. To use on-demand and spot instances together, use `dynamic_ondemand_fallback`, set base_ondemand_fallback_replicas, or configure a `spot_placer` to manage a mixed set."))
	}
	policy := "spot"
	if svc.Replicas.DynamicOnDemandFallback {
		policy = "on-demand"
	}
	for i, r := range items {
		if r.JobRecovery != nil {
			ds = append(ds, t.resourceDiag(items[i:i+1], "job_recovery", "job_recovery is disabled for SkyServe",
				fmt.Sprintf("job_recovery is disabled for SkyServe. SkyServe will replenish preempted spot with %s instances. Remove resources.job_recovery.", policy)))
			break
		}
	}
	for i, r := range items {
		if svc.Replicas.UseOnDemandFallback() && !r.UseSpot {
			ds = append(ds, t.resourceDiag(items[i:i+1], "use_spot", "On-demand fallback needs spot resources",
				"`use_ondemand_fallback` is only supported for spot resources. Please explicitly specify `use_spot: true` in resources for on-demand fallback."))
			break
		}
	}
	if svc.Replicas.SpotPlacer != "" && spot == 0 {
		f := "service.replica_policy.spot_placer"
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Spot placer without spot resources",
			Detail:  "`spot_placer` requires at least one spot resource. Please specify `use_spot: true` on the cloud entries.",
			Subject: t.Source.Range(f), Field: f})
	}
	if _, pds := t.ServicePort(); pds.HasErrors() {
		ds = append(ds, pds...)
	}
	return ds
}

// ServicePort resolves the replica ingress port: service.ports, else the
// one port every candidate of resources.ports opens.
func (t *Task) ServicePort() (int, diag.Diagnostics) {
	if t.Service == nil {
		return 0, nil
	}
	if t.Service.Port != 0 {
		return t.Service.Port, nil
	}
	ports := map[int]bool{}
	var last int
	for i, r := range t.Resources.Items {
		n := 0
		for _, pr := range r.Ports {
			n += pr.To - pr.From + 1
		}
		if n != 1 {
			got := "none"
			if n > 1 {
				got = fmt.Sprintf("%d ports", n)
			}
			return 0, diag.Diagnostics{t.resourceDiag(t.Resources.Items[i:i+1], "ports", "No single service port",
				fmt.Sprintf("To open multiple ports on the replica, please set the `service.ports` field to specify a main service port. Must only specify one port in resources otherwise. Each replica will use the port specified as application ingress port. Got %s.", got))}
		}
		last = r.Ports[0].From
		ports[last] = true
	}
	if len(ports) != 1 {
		return 0, diag.Diagnostics{t.resourceDiag(t.Resources.Items, "ports", "Different ports in different resources",
			"Got multiple ports in different resources. Please specify the same port instead, or set service.ports.")}
	}
	return last, nil
}

// resourceDiag locates a diagnostic at key of the first candidate that
// sets it (or at resources).
func (t *Task) resourceDiag(items []Resources, key, summary, detail string) diag.Diagnostic {
	field := "resources"
	for _, r := range items {
		if f, ok := r.Fields[key]; ok {
			field = f
			break
		}
	}
	r := t.Source.Range(field)
	if r != nil && r.Start.Line == 0 {
		r = t.Source.Range("resources")
	}
	if r != nil && r.Start.Line == 0 {
		r = t.Source.Range("service")
	}
	return diag.Diagnostic{Severity: diag.Error, Summary: summary, Detail: detail, Subject: r, Field: field}
}

// Summary is a one-line description of the service for plans and goldens:
// replica policy, probe, port, load balancing, spot policy, TLS.
func (s *Service) Summary() string {
	var b strings.Builder
	r := s.Replicas
	if r.Autoscaling() {
		qps := ""
		if r.TargetQPSPerReplica != nil {
			qps = strconv.FormatFloat(*r.TargetQPSPerReplica, 'g', -1, 64)
		} else {
			keys := make([]string, 0, len(r.TargetQPSPerAccelerator))
			for k := range r.TargetQPSPerAccelerator {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i, k := range keys {
				if i > 0 {
					qps += ","
				}
				qps += k + "=" + strconv.FormatFloat(r.TargetQPSPerAccelerator[k], 'g', -1, 64)
			}
		}
		fmt.Fprintf(&b, "replicas %d-%d qps/replica %s", r.MinReplicas, r.Max(), qps)
	} else {
		fmt.Fprintf(&b, "replicas %d", r.MinReplicas)
	}
	if r.NumOverprovision > 0 {
		fmt.Fprintf(&b, " +%d overprovision", r.NumOverprovision)
	}
	method := "GET"
	if s.Readiness.PostData != nil {
		method = "POST"
	}
	fmt.Fprintf(&b, "; probe %s %s", method, s.Readiness.Path)
	if s.Port != 0 {
		fmt.Fprintf(&b, "; port %d", s.Port)
	}
	fmt.Fprintf(&b, "; lb %s", s.LoadBalancingPolicy)
	if sp := s.SpotPolicy(); sp != "" {
		fmt.Fprintf(&b, "; %s", sp)
	}
	if s.TLS != nil {
		b.WriteString("; tls")
	}
	return b.String()
}

// SpotPolicy names the spot policy as SkyServe's status does ("SpotHedge",
// "Dynamic on-demand fallback", "Static spot mixture with 1 base on-demand
// replica"), or "".
func (s *Service) SpotPolicy() string {
	r := s.Replicas
	switch {
	case r.DynamicOnDemandFallback && r.SpotPlacer == SpotPlacerDynamicFallback:
		return "SpotHedge"
	case r.DynamicOnDemandFallback && r.BaseOnDemandFallbackReplicas > 0:
		return fmt.Sprintf("Dynamic on-demand fallback with %d base on-demand replicas", r.BaseOnDemandFallbackReplicas)
	case r.DynamicOnDemandFallback:
		return "Dynamic on-demand fallback"
	case r.BaseOnDemandFallbackReplicas > 0:
		plural := "s"
		if r.BaseOnDemandFallbackReplicas == 1 {
			plural = ""
		}
		return fmt.Sprintf("Static spot mixture with %d base on-demand replica%s", r.BaseOnDemandFallbackReplicas, plural)
	case r.SpotPlacer != "":
		return "Spot placement with " + r.SpotPlacer + " placer"
	}
	return ""
}
