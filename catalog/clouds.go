package catalog

import "github.com/skyplan/skyplan/cloud"

// DisplayName is a cloud's name as SkyPilot prints it (str(cloud)): "AWS",
// "GCP", "Azure", "SSH", "Kubernetes". Other names are returned as given.
// Every table, log line and SKYPILOT_CLUSTER_INFO uses it.
//
// Deprecated: use cloud.DisplayName; kept for callers not yet migrated.
func DisplayName(name string) string { return cloud.DisplayName(name) }
