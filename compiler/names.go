package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

// CloudSafeName maps a cluster name to a name every resource of cloud
// accepts: lowercase letters, digits and hyphens, starting with a letter,
// at most the cloud's limit. A name that had to be truncated gets a
// 4-hex-digit hash suffix of the original so long names sharing a prefix
// stay distinct.
func CloudSafeName(cloudName, name string) string {
	mod, _ := cloud.As[cloud.Module](cloudName)
	return safeName(mod, name)
}

// safeName is CloudSafeName for a cloud's module (nil: 63 characters).
func safeName(mod cloud.Module, name string) string {
	limit := 63
	if mod != nil && mod.MaxNameLength() > 0 {
		limit = mod.MaxNameLength()
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

// SafeName is the cloud-safe form of a cluster name with the default
// length limit; the CLI tells the user when it differs from what they typed.
func SafeName(name string) string { return safeName(nil, name) }
