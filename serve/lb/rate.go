package lb

import (
	"sync"
	"time"
)

// rateWindow counts arrivals per second over a sliding window and keeps
// the arrival time of requests still open, so a request that outlives the
// window still counts once.
type rateWindow struct {
	mu      sync.Mutex
	window  time.Duration
	buckets []int64 // arrivals per second, indexed by unix second % len
	secs    []int64 // which second each bucket holds
	open    map[uint64]int64
	nextID  uint64
}

func newRateWindow(w time.Duration) *rateWindow {
	n := int(w/time.Second) + 1
	return &rateWindow{window: w, buckets: make([]int64, n), secs: make([]int64, n), open: map[uint64]int64{}}
}

// start records an arrival and returns its id for end.
func (rw *rateWindow) start(now time.Time) uint64 {
	s := now.Unix()
	rw.mu.Lock()
	defer rw.mu.Unlock()
	i := int(s % int64(len(rw.buckets)))
	if rw.secs[i] != s {
		rw.secs[i], rw.buckets[i] = s, 0
	}
	rw.buckets[i]++
	rw.nextID++
	rw.open[rw.nextID] = s
	return rw.nextID
}

func (rw *rateWindow) end(id uint64) {
	rw.mu.Lock()
	delete(rw.open, id)
	rw.mu.Unlock()
}

// count returns arrivals within the window ending at now plus open
// requests that arrived before it.
func (rw *rateWindow) count(now time.Time) int {
	s := now.Unix()
	from := s - int64(rw.window/time.Second) + 1
	rw.mu.Lock()
	defer rw.mu.Unlock()
	var n int64
	for i, sec := range rw.secs {
		if sec >= from && sec <= s {
			n += rw.buckets[i]
		}
	}
	for _, a := range rw.open {
		if a < from {
			n++
		}
	}
	return int(n)
}
