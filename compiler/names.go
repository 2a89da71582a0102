package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Cloud name length limits for a cluster name (SkyPilot's limits for GCP and
// Azure; AWS names are capped at 63 so derived names stay under 255).
var maxNameLen = map[string]int{"aws": 63, "gcp": 35, "azure": 42}

// CloudSafeName maps a cluster name to a name every resource of cloud
// accepts: lowercase letters, digits and hyphens, starting with a letter,
// at most the cloud's limit. A name that had to be truncated gets a
// 4-hex-digit hash suffix of the original so long names sharing a prefix
// stay distinct.
func CloudSafeName(cloud, name string) string {
	limit := maxNameLen[cloud]
	if limit == 0 {
		limit = 63
	}
	var b strings.Builder
	lastDash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			lastDash = false
		default:
			if !lastDash && b.Len() > 0 {
				b.WriteByte('-')
				lastDash = true
			}
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = "sky-" + s
		s = strings.TrimRight(s, "-")
	}
	if len(s) <= limit {
		return s
	}
	sum := sha256.Sum256([]byte(name))
	suffix := hex.EncodeToString(sum[:])[:4]
	keep := limit - len(suffix) - 1
	if keep > len(s) {
		keep = len(s)
	}
	return strings.TrimRight(s[:keep], "-") + "-" + suffix
}
