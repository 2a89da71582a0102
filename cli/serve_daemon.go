package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/serve/service"
	servesim "github.com/skyplan/skyplan/serve/sim"
	"github.com/skyplan/skyplan/state"
	"github.com/skyplan/skyplan/task"
)

func init() {
	controller.Register("serve", func(env *controller.Env) (controller.Reconciler, error) {
		if daemonIO == nil {
			return nil, fmt.Errorf("the serve reconciler runs only inside `skyplan controller run`")
		}
		ctl, err := newServeController(daemonIO, env.Store, env.Clock.Now, nil)
		if err != nil {
			return nil, err
		}
		return service.NewReconciler(ctl, env), nil
	})
}

// newServeController builds the service controller with its real parts:
// replicas through serveClusters, the serve/lb load balancer, the
// serve/autoscale autoscaler and the serve/placer spot placer. tune, when
// set, adjusts the options (tests shorten drains and windows).
func newServeController(io *IO, store *state.Store, now func() time.Time, tune func(*service.Options)) (*service.Controller, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	jc := &jobClusters{io: io, cfg: cfg, store: store}
	optimize := func(s *service.Spec) (*optimizer.TaskPlan, diag.Diagnostics) {
		o, ds := optimizerOptions(io, &task.Pipeline{Tasks: []*task.Task{s.Task}})
		if ds.HasErrors() {
			return nil, ds
		}
		return optimizer.Optimize(s.Task, o)
	}
	comps := serveComponents(cfg.Serve)
	comps.Now, comps.Optimize = now, optimize
	o := service.Options{Store: store, Clusters: &serveClusters{jc: jc}, Now: now, Components: comps,
		ProbeClient: probeClient(comps.ReplicaProxy),
		LoadSpec:    service.SpecLoader{Accelerators: knownAccelerators()}.Load}
	if cfg.Serve.ListenHost != "" {
		// On a controller VM (its config is written by `controller up`):
		// balancers on every interface, on serve.ports only (its security
		// group opens those to serve.allowed_cidrs), endpoints on its
		// public address.
		ports, err := cfg.Serve.PortRanges()
		if err != nil {
			return nil, err
		}
		o.Host, o.EndpointHost, o.Ports = cfg.Serve.ListenHost, cfg.Serve.EndpointHost, ports
	}
	if tune != nil {
		tune(&o)
	}
	return service.New(o), nil
}

// serveComponents turns the serve: settings into the components' options
// (fallback hold default: skyplan's policy as serve/sim measures it).
// config.Load has validated them (a bad replica_proxy never gets here).
func serveComponents(c config.Serve) service.ServeComponents {
	sc := service.ServeComponents{FallbackHold: c.FallbackHoldSeconds.Or(servesim.DefaultFallbackHold),
		QueueTimeout: c.QueueTimeoutSeconds.Or(0), StreamTimeout: c.StreamTimeoutSeconds.Or(0)}
	if c.ReplicaProxy.URL != "" {
		sc.ReplicaProxy, _ = url.Parse(c.ReplicaProxy.URL)
	}
	return sc
}

// probeClient is the readiness probes' client: a fresh connection each
// probe (a dead replica is noticed, not hidden by a kept-alive socket),
// through serve.replica_proxy when set.
func probeClient(proxy *url.URL) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	}
	return &http.Client{Transport: tr}
}
