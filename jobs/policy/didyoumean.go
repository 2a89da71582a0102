package policy

import "github.com/skyplan/skyplan/diag"

// closest returns the candidate within edit distance 3 of s (the nearest;
// "" if none), for did-you-mean hints.
func closest(s string, candidates []string) string {
	best, bestD := "", 4
	for _, c := range candidates {
		if d := diag.EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
