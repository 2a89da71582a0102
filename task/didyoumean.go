package task

import (
	"sort"
	"strings"

	"github.com/skyplan/skyplan/diag"
)

// editDistance compares case-insensitively: a typo in case is not a
// different name.
func editDistance(a, b string) int {
	return diag.EditDistance(strings.ToLower(a), strings.ToLower(b))
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
