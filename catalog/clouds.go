package catalog

import "strings"

// DisplayName is a cloud's name as SkyPilot prints it (str(cloud)): "AWS",
// "GCP", "Azure", "SSH", "Kubernetes". Other names are returned as given.
// Every table, log line and SKYPILOT_CLUSTER_INFO uses it.
func DisplayName(cloud string) string {
	switch strings.ToLower(cloud) {
	case "aws":
		return "AWS"
	case "gcp":
		return "GCP"
	case "azure":
		return "Azure"
	case "ssh":
		return "SSH"
	case "kubernetes":
		return "Kubernetes"
	}
	return cloud
}
