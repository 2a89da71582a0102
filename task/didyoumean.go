package task

import (
	"sort"
	"strings"
)

// editDistance is the Levenshtein distance between a and b, compared
// case-insensitively: a typo in case is not a different name.
func editDistance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// closeMatches returns up to max candidates that look like a misspelling of
// name: small edit distance, or one is a prefix/substring of the other.
// Closest first; ties keep candidate order.
func closeMatches(name string, candidates []string, max int) []string {
	if name == "" || len(name) > 256 {
		return nil
	}
	type scored struct {
		s     string
		score int
		idx   int
	}
	lname := strings.ToLower(name)
	limit := len([]rune(name)) / 3
	if limit < 2 {
		limit = 2
	}
	var out []scored
	for i, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(lname, lc)
		// Scores are doubled so a shared prefix can break ties between
		// equally distant names (V10 → V100 before A10).
		prefix := len(lname) >= 2 && (strings.HasPrefix(lc, lname) || strings.HasPrefix(lname, lc))
		bonus := 0
		if prefix {
			bonus = 1
		}
		switch {
		case d <= limit:
			out = append(out, scored{c, 2*d - bonus, i})
		case prefix || (len(lname) >= 2 && strings.Contains(lc, lname)):
			out = append(out, scored{c, 2*(limit+1+d) - bonus, i})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].score != out[j].score {
			return out[i].score < out[j].score
		}
		return out[i].idx < out[j].idx
	})
	var res []string
	for _, s := range out {
		if len(res) == max {
			break
		}
		res = append(res, s.s)
	}
	return res
}

// CloseMatches is closeMatches for other packages' did-you-mean (the CLI's
// unknown commands and flags).
func CloseMatches(name string, candidates []string, max int) []string {
	return closeMatches(name, candidates, max)
}

// didYouMean is a sentence suggesting the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	m := closeMatches(name, candidates, 1)
	if len(m) == 0 {
		return ""
	}
	return "Did you mean \"" + m[0] + "\"?"
}
