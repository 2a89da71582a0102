package cli

import (
	"fmt"
	"time"

	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/diag"
	"github.com/skyplan/skyplan/optimizer"
	"github.com/skyplan/skyplan/serve/service"
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
	o := service.Options{Store: store, Clusters: &serveClusters{jc: jc}, Now: now,
		Components: service.ServeComponents{Now: now, Optimize: optimize},
		LoadSpec:   service.SpecLoader{Accelerators: knownAccelerators()}.Load}
	if tune != nil {
		tune(&o)
	}
	return service.New(o), nil
}
