package sim

import (
	"fmt"
	"math"
	"time"
)

// Optimum is the least any policy could pay to finish the job by its
// deadline on this trace, knowing the whole trace in advance: a dynamic
// program over steps × work done × what runs (idle, productive spot,
// productive on-demand), on the replay's grid and cost model.
//
// Starting an instance is one transition of Overhead steps (paid, no
// progress). The omniscient never interrupts a warmup: stopping or switching
// mid-warmup, or starting spot that is preempted before it is warm, is
// dominated by having stayed idle for those steps (same work, same time,
// nothing paid), so those moves are left out and a spot start needs spot for
// all its warmup steps. ok is false when no schedule meets the deadline.
func Optimum(t Trace, c Config) (cost float64, ok bool, err error) {
	if !c.Job.HasDeadline() {
		return 0, false, fmt.Errorf("the optimum needs a deadline and a duration")
	}
	if c.Start < 0 || c.Start >= t.Span() {
		return 0, false, fmt.Errorf("start %v is outside trace %s (%v long)", c.Start, t.Name, t.Span())
	}
	g := NewGrid(t, c.Job)
	n := float64(nodes(c))
	ps := c.Prices.Spot * g.Step.Hours() * n
	po := c.Prices.OnDemand * g.Step.Hours() * n
	W, o, T := g.Work, g.Overhead, g.Deadline
	if W == 0 {
		return 0, true, nil
	}
	// run[i]: consecutive steps with spot from step i on.
	run := make([]int, T+1)
	for i := T - 1; i >= 0; i-- {
		if t.SpotAt(c.Start+time.Duration(i)*g.Step, nodes(c)) {
			run[i] = run[i+1] + 1
		}
	}
	const idle, spot, od = 0, 1, 2
	inf := math.Inf(1)
	R := o + 2 // layers i..i+o are live at once
	type layer struct {
		at   int
		cost [3][]float64
	}
	ring := make([]layer, R)
	for s := range ring {
		ring[s].at = -1
		for k := range ring[s].cost {
			ring[s].cost[k] = make([]float64, W)
		}
	}
	get := func(i int) *layer {
		l := &ring[i%R]
		if l.at != i {
			l.at = i
			for k := range l.cost {
				for w := range l.cost[k] {
					l.cost[k][w] = inf
				}
			}
		}
		return l
	}
	best := inf
	relax := func(i, k, w int, v float64) {
		if w == W {
			best = min(best, v)
			return
		}
		l := get(i)
		if v < l.cost[k][w] {
			l.cost[k][w] = v
		}
	}
	get(0).cost[idle][0] = 0
	for i := 0; i < T; i++ {
		cur := get(i)
		I, S, O := cur.cost[idle], cur.cost[spot], cur.cost[od]
		if o == 0 { // switching is free: any kind may become any other
			for w := 0; w < W; w++ {
				m := min(I[w], S[w], O[w])
				S[w], O[w] = m, m
			}
		}
		av := run[i] > 0
		for w := 0; w < W; w++ {
			ci, cs, co := I[w], S[w], O[w]
			if m := min(ci, cs, co); m < inf {
				relax(i+1, idle, w, m)
			} else {
				continue
			}
			if av && cs < inf {
				relax(i+1, spot, w+1, cs+ps)
			}
			if co < inf {
				relax(i+1, od, w+1, co+po)
			}
			if o > 0 && i+o <= T {
				if m := min(ci, co); m < inf && run[i] >= o {
					relax(i+o, spot, w, m+float64(o)*ps)
				}
				if m := min(ci, cs); m < inf {
					relax(i+o, od, w, m+float64(o)*po)
				}
			}
		}
	}
	return best, best < inf, nil
}
