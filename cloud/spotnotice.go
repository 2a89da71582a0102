package cloud

// SpotNotice is a cloud that warns a spot instance longer before taking
// it back than the usual 30 seconds (AWS: two minutes). Reviews of a spot
// plan say how long a job has to checkpoint.
type SpotNotice interface {
	SpotNotice() string
}

// SpotNoticeOf is how long before a preemption the cloud called name
// warns: "2-minute", or "30-second" (GCP, Azure) by default.
func SpotNoticeOf(name string) string {
	if n, ok := As[SpotNotice](name); ok {
		return n.SpotNotice()
	}
	return "30-second"
}
