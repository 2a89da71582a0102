package state

import (
	"time"

	"github.com/skyplan/skyplan/cloud"
)

// Key is the cluster's placement key (cloud.Key): the same label and
// equality the optimizer and the fallback loop use.
func (c *Cluster) Key() cloud.Key {
	return cloud.Key{Cloud: c.Cloud, Region: c.Region, Zone: c.Zone, InstanceType: c.InstanceType, Spot: c.UseSpot}
}

// Key is the attempted placement's key.
func (a Attempt) Key() cloud.Key {
	return cloud.Key{Cloud: a.Cloud, Region: a.Region, Zone: a.Zone, InstanceType: a.InstanceType, Spot: a.UseSpot}
}

// NewAttempt is the attempt record of one placement key.
func NewAttempt(cluster string, k cloud.Key, class, reason string, at time.Time) Attempt {
	return Attempt{Cluster: cluster, Cloud: k.Cloud, Region: k.Region, Zone: k.Zone, InstanceType: k.InstanceType,
		UseSpot: k.Spot, Class: class, Reason: reason, At: at}
}
