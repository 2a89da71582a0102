package cli

import (
	"fmt"
	"time"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/controller"
	"github.com/skyplan/skyplan/jobs"
	"github.com/skyplan/skyplan/jobs/policy"
)

// daemonIO is the controller daemon's IO (set by runController before the
// loop starts): reconcilers built in this package take their environment
// and the daemon's context from it.
var daemonIO *IO

func init() {
	controller.Register("jobs", func(env *controller.Env) (controller.Reconciler, error) {
		if daemonIO == nil {
			return nil, fmt.Errorf("the jobs reconciler runs only inside `skyplan controller run`")
		}
		cfg, err := loadConfig()
		if err != nil {
			return nil, err
		}
		st, err := jobs.OpenStore(env.Store)
		if err != nil {
			return nil, err
		}
		o := jobsOptions(cfg)
		o.Store, o.Clock, o.Log, o.Home, o.Wake = st, env.Clock, env.Log, env.Home, env.Wake
		o.Clusters = &jobClusters{io: daemonIO, cfg: cfg, store: env.Store}
		o.Secrets = func(taskID string) (map[string]string, error) { return jobs.LoadSecrets(env.Home, taskID) }
		o.SpotPolicy = jobsSpotPolicy(cfg)
		return jobs.New(o), nil
	})
}

// jobsSpotPolicy is the deadline policy of managed jobs (skyplan's, see
// docs/jobs-policies.md). Its step is the controller's longest reaction
// time: the longest launch retry gap (5 × the first) or a poll plus the
// unreachable grace.
func jobsSpotPolicy(cfg config.Config) jobs.DeadlinePolicy {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	step := max(5*sec(cfg.Jobs.RetryGapSeconds), sec(cfg.Jobs.PollSeconds)+sec(cfg.Jobs.UnreachableSeconds))
	return jobs.DeadlinePolicy{Policy: policy.Default(), Step: step, DefaultOverhead: 10 * time.Minute}
}

// jobsOptions maps config jobs.* to controller intervals.
func jobsOptions(cfg config.Config) jobs.Options {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return jobs.Options{Poll: sec(cfg.Jobs.PollSeconds), UnreachableGrace: sec(cfg.Jobs.UnreachableSeconds),
		RetryGap: sec(cfg.Jobs.RetryGapSeconds)}
}
