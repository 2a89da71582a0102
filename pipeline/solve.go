package pipeline

import "sort"

// solveChain is the dynamic programme over (task, state) for chains:
// best[t][j] is the cheapest way to run tasks 0..t with task t in state j.
// Because egress depends only on the clouds at both ends, the recurrence
// over per-cloud states is exact over every (task, candidate) combination.
func (cp *compiled) solveChain() []int {
	n := len(cp.states)
	into := make([][]int, n) // edges i-1 → i, possibly several
	for e, ed := range cp.p.Edges {
		into[ed.To] = append(into[ed.To], e)
	}
	best := make([][]score, n)
	back := make([][]int, n)
	for t := range n {
		best[t] = make([]score, len(cp.states[t]))
		back[t] = make([]int, len(cp.states[t]))
		for j, st := range cp.states[t] {
			if t == 0 {
				best[t][j] = st.own
				continue
			}
			bi, bs := -1, score{}
			for k, prev := range cp.states[t-1] {
				s := best[t-1][k]
				for _, e := range into[t] {
					s = s.add(cp.pair[e][prev.cloud][st.cloud])
				}
				if bi < 0 || s.less(bs) {
					bi, bs = k, s
				}
			}
			best[t][j] = bs.add(st.own)
			back[t][j] = bi
		}
	}
	last := 0
	for j := range best[n-1] {
		if best[n-1][j].less(best[n-1][last]) {
			last = j
		}
	}
	choice := make([]int, n)
	for t, j := n-1, last; t >= 0; t-- {
		choice[t] = cp.states[t][j].option
		j = back[t][j]
	}
	return choice
}

// bnb is the branch-and-bound search for general DAGs. The objective is a
// sum of per-task terms and per-edge terms (time too: skyplan runs pipeline
// tasks one after another), i.e. a pairwise energy over at most one state per
// cloud per task. Tasks are fixed one at a time, most-connected first; the
// bound adds, for every unfixed task, its cheapest state given the egress to
// already-fixed neighbours (egress among unfixed tasks is ≥ 0 and left out),
// so it never overestimates and pruning is exact.
type bnb struct {
	cp    *compiled
	order []int
	// nbrs[v] lists (edge, other task) for every edge touching v.
	nbrs  [][]nbr
	fixed []int     // state index per task, -1 = unfixed
	extra [][]score // extra[v][s]: egress from fixed neighbours if v takes state s
	acc   score     // score of the fixed part
	best  score
	found bool
	bestS []int
}

type nbr struct {
	edge, other int
	vIsFrom     bool
}

func (cp *compiled) solveDAG() []int {
	n := len(cp.states)
	b := &bnb{cp: cp, nbrs: make([][]nbr, n), fixed: make([]int, n), extra: make([][]score, n)}
	for e, ed := range cp.p.Edges {
		b.nbrs[ed.From] = append(b.nbrs[ed.From], nbr{edge: e, other: ed.To, vIsFrom: true})
		b.nbrs[ed.To] = append(b.nbrs[ed.To], nbr{edge: e, other: ed.From})
	}
	for v := range n {
		b.fixed[v] = -1
		b.extra[v] = make([]score, len(cp.states[v]))
	}
	b.order = b.branchOrder()
	b.seed()
	b.search(0)
	choice := make([]int, n)
	for v, s := range b.bestS {
		choice[v] = cp.states[v][s].option
	}
	return choice
}

// branchOrder fixes first the task with most edges to already-ordered tasks
// (then most edges overall), so egress terms enter the bound early.
func (b *bnb) branchOrder() []int {
	n := len(b.cp.states)
	placed := make([]bool, n)
	links := make([]int, n)
	order := make([]int, 0, n)
	for len(order) < n {
		pick := -1
		for v := range n {
			if placed[v] {
				continue
			}
			if pick < 0 || links[v] > links[pick] || (links[v] == links[pick] && len(b.nbrs[v]) > len(b.nbrs[pick])) {
				pick = v
			}
		}
		placed[pick] = true
		order = append(order, pick)
		for _, nb := range b.nbrs[pick] {
			links[nb.other]++
		}
	}
	return order
}

func (b *bnb) pairScore(v, s int, nb nbr, os int) score {
	vc, oc := b.cp.states[v][s].cloud, b.cp.states[nb.other][os].cloud
	if nb.vIsFrom {
		return b.cp.pair[nb.edge][vc][oc]
	}
	return b.cp.pair[nb.edge][oc][vc]
}

// seed sets a first incumbent: the better of a greedy pass in branch order
// and every all-in-one-cloud assignment, so pruning bites from the start.
func (b *bnb) seed() {
	n := len(b.cp.states)
	try := func(pick func(v int) int) {
		assign := make([]int, n)
		for i := range assign {
			assign[i] = -1
		}
		total := score{}
		for _, v := range b.order {
			s := pick(v)
			if s < 0 {
				return
			}
			if s == len(b.cp.states[v]) { // greedy: best given fixed neighbours
				s = 0
				var bs score
				for c := range b.cp.states[v] {
					sc := b.cp.states[v][c].own
					for _, nb := range b.nbrs[v] {
						if assign[nb.other] >= 0 {
							sc = sc.add(b.pairScore(v, c, nb, assign[nb.other]))
						}
					}
					if c == 0 || sc.less(bs) {
						s, bs = c, sc
					}
				}
			}
			assign[v] = s
			total = total.add(b.cp.states[v][s].own)
			for _, nb := range b.nbrs[v] {
				if assign[nb.other] >= 0 {
					total = total.add(b.pairScore(v, s, nb, assign[nb.other]))
				}
			}
		}
		if !b.found || total.less(b.best) {
			b.found, b.best, b.bestS = true, total, assign
		}
	}
	try(func(v int) int { return len(b.cp.states[v]) })
	for c := range b.cp.clouds {
		try(func(v int) int {
			for s, st := range b.cp.states[v] {
				if st.cloud == c {
					return s
				}
			}
			return -1
		})
	}
}

// bound is the fixed part plus each unfixed task's cheapest state given its
// fixed neighbours.
func (b *bnb) bound(depth int) score {
	lb := b.acc
	for _, v := range b.order[depth:] {
		m := b.cp.states[v][0].own.add(b.extra[v][0])
		for s := 1; s < len(b.cp.states[v]); s++ {
			if x := b.cp.states[v][s].own.add(b.extra[v][s]); x.less(m) {
				m = x
			}
		}
		lb = lb.add(m)
	}
	return lb
}

func (b *bnb) search(depth int) {
	if depth == len(b.order) {
		if b.acc.less(b.best) {
			b.best = b.acc
			b.bestS = append(b.bestS[:0], b.fixed...)
		}
		return
	}
	if !b.bound(depth).less(b.best) {
		return
	}
	v := b.order[depth]
	tries := make([]int, len(b.cp.states[v]))
	for i := range tries {
		tries[i] = i
	}
	val := func(s int) score { return b.cp.states[v][s].own.add(b.extra[v][s]) }
	sort.SliceStable(tries, func(i, j int) bool { return val(tries[i]).less(val(tries[j])) })
	saved := b.acc
	// Snapshot the neighbours' rows and restore them afterwards (in reverse,
	// so repeated edges to one neighbour come back right) rather than
	// subtracting, which would let float error creep into the bound.
	var snaps [][]score
	for _, s := range tries {
		b.fixed[v] = s
		b.acc = saved.add(val(s))
		snaps = snaps[:0]
		for _, nb := range b.nbrs[v] {
			row := b.extra[nb.other]
			snaps = append(snaps, append([]score(nil), row...))
			if b.fixed[nb.other] < 0 {
				for os := range row {
					row[os] = row[os].add(b.pairScore(nb.other, os, b.reverse(nb, v), s))
				}
			}
		}
		b.search(depth + 1)
		for i := len(b.nbrs[v]) - 1; i >= 0; i-- {
			copy(b.extra[b.nbrs[v][i].other], snaps[i])
		}
		b.fixed[v] = -1
	}
	b.acc = saved
}

// reverse turns v's view of an edge into the neighbour's view.
func (b *bnb) reverse(nb nbr, v int) nbr {
	return nbr{edge: nb.edge, other: v, vIsFrom: !nb.vIsFrom}
}
