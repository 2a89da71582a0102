package cloudcheck

// The per-cloud detection moved to cloud/{aws,gcp,azure} (cloud.Credentials);
// these names keep the detection tests reading as they were written.
func detectAWS(e env) detection   { return detect("aws", e) }
func detectGCP(e env) detection   { return detect("gcp", e) }
func detectAzure(e env) detection { return detect("azure", e) }
func awsEndpoint(e env) string    { return endpoint("aws", e) }
