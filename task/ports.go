package task

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ParsePort parses one port spec: "8080" or "10052-10100".
func ParsePort(s string) (PortRange, error) {
	t := strings.TrimSpace(s)
	from, to, isRange := strings.Cut(t, "-")
	a, errA := strconv.Atoi(strings.TrimSpace(from))
	if !isRange {
		if errA != nil || a < 1 || a > 65535 {
			return PortRange{}, valueErr("Invalid port", "Invalid port %s. Please use a port number between 1 and 65535.", s)
		}
		return PortRange{From: a, To: a}, nil
	}
	b, errB := strconv.Atoi(strings.TrimSpace(to))
	if errA != nil || errB != nil || a > b {
		return PortRange{}, valueErr("Invalid port range", "Invalid port range %s. Please use the format \"from-to\", in which from <= to. e.g. \"1-3\".", s)
	}
	for _, p := range []int{a, b} {
		if p < 1 || p > 65535 {
			return PortRange{}, valueErr("Invalid port", "Invalid port %d. Please use a port number between 1 and 65535.", p)
		}
	}
	return PortRange{From: a, To: b}, nil
}

// ParsePorts parses port specs and returns them as sorted, merged ranges
// (overlapping and adjacent ranges join: 1-3 and 4 become 1-4).
func ParsePorts(specs []string) ([]PortRange, error) {
	var rs []PortRange
	for _, s := range specs {
		r, err := ParsePort(s)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return mergePorts(rs), nil
}

func mergePorts(rs []PortRange) []PortRange {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool {
		return rs[i].From < rs[j].From || (rs[i].From == rs[j].From && rs[i].To < rs[j].To)
	})
	out := []PortRange{rs[0]}
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.From <= last.To+1 {
			last.To = max(last.To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// String renders "8080" or "10052-10100".
func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(r.From)
	}
	return fmt.Sprintf("%d-%d", r.From, r.To)
}
