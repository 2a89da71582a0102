package task

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ValueError is a parse failure of one value, with a short summary and a
// detail that says what was expected. Parsers shared by YAML and CLI flags
// return it so both report the same message.
type ValueError struct {
	Summary string
	Detail  string
}

func (e *ValueError) Error() string { return e.Summary + ": " + e.Detail }

func valueErr(summary, format string, args ...any) *ValueError {
	return &ValueError{Summary: summary, Detail: fmt.Sprintf(format, args...)}
}

var decimalRE = regexp.MustCompile(`^(\d{1,18}(\.\d{0,18})?|\.\d{1,18})$`)

// parseDecimal parses a plain non-negative decimal ("8", "0.5"), refusing
// exponents, hex, inf and NaN that strconv would accept.
func parseDecimal(s string) (float64, bool) {
	if !decimalRE.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// sizeUnits maps a lower-case unit to its factor in GB (SkyPilot treats
// KB/MB/GB... as binary multiples of GiB).
var sizeUnits = map[string]float64{
	"":  1,
	"b": 1.0 / (1 << 30),
	"k": 1.0 / (1 << 20), "kb": 1.0 / (1 << 20), "ki": 1.0 / (1 << 20), "kib": 1.0 / (1 << 20),
	"m": 1.0 / 1024, "mb": 1.0 / 1024, "mi": 1.0 / 1024, "mib": 1.0 / 1024,
	"g": 1, "gb": 1, "gi": 1, "gib": 1,
	"t": 1024, "tb": 1024, "ti": 1024, "tib": 1024,
	"p": 1 << 20, "pb": 1 << 20, "pi": 1 << 20, "pib": 1 << 20,
}

var sizeRE = regexp.MustCompile(`^\s*([0-9.]+)\s*([a-zA-Z]*)\s*$`)

// ParseSizeGB parses a size such as "256", "256GB", "1TB", "512Mi" into GB.
func ParseSizeGB(s string) (float64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	v, ok := parseDecimal(m[1])
	if !ok {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	f, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q in %q (use KB, MB, GB, TB or PB)", m[2], s)
	}
	return v * f, nil
}

// ParseDiskSize parses disk_size ("256", "256GB", "1TB") into whole GB.
func ParseDiskSize(s string) (int, error) {
	gb, err := ParseSizeGB(s)
	if err != nil || gb > 1<<40 {
		return 0, valueErr("Invalid disk_size",
			"disk_size must be a whole number of GB (e.g. 256) or a size with a unit (e.g. \"256GB\", \"1TB\"). Got: %q.", s)
	}
	n := int(math.Floor(gb))
	if n <= 0 {
		return 0, valueErr("Invalid disk_size", "disk_size must be at least 1 GB. Got: %q.", s)
	}
	return n, nil
}

// ParseCPUs parses cpus: "8" (exactly) or "8+" (at least).
func ParseCPUs(s string) (*Quantity, error) {
	t := strings.TrimSpace(s)
	q := &Quantity{}
	if strings.HasSuffix(t, "+") {
		q.AtLeast = true
		t = t[:len(t)-1]
	}
	v, ok := parseDecimal(t)
	if !ok {
		return nil, valueErr("Invalid cpus", "The \"cpus\" field should be either a number or a string \"<number>+\". Found: '%s'", s)
	}
	if v <= 0 {
		return nil, valueErr("Invalid cpus", "The \"cpus\" field should be positive. Found: '%s'", s)
	}
	q.Value = v
	return q, nil
}

// ParseMemory parses memory in GB: "32", "32+", "32GB", "1TB+", or "4x"
// (4 GB per vCPU).
func ParseMemory(s string) (*Quantity, error) {
	t := strings.TrimSpace(s)
	q := &Quantity{}
	if strings.HasSuffix(t, "+") {
		q.AtLeast = true
		t = t[:len(t)-1]
	}
	bad := valueErr("Invalid memory", "\"memory\" field should be a number (e.g. \"16\") or \"<number><unit>\" where unit is one of KB/MB/GB/TB/PB (e.g. \"16GB\") or \"<number>+\" for \"at least\" or \"<number>x\" per vCPU. Got: '%s'", s)
	if strings.HasSuffix(strings.ToLower(t), "x") {
		q.PerCPU = true
		v, ok := parseDecimal(t[:len(t)-1])
		if !ok {
			return nil, bad
		}
		q.Value = v
	} else {
		v, err := ParseSizeGB(t)
		if err != nil || t == "" {
			return nil, bad
		}
		q.Value = v
	}
	if q.Value <= 0 {
		return nil, valueErr("Invalid memory", "The \"memory\" field should be positive. Found: '%s'", s)
	}
	return q, nil
}

var durationRE = regexp.MustCompile(`^(\d{1,9})([mMhHdDwW]?)$`)

// ParseDuration parses an autostop idle time: "10" or "10m" minutes, "10h",
// "2d", "1w"; the result is in minutes.
func ParseDuration(s string) (int, error) {
	m := durationRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, valueErr("Invalid autostop", "autostop must be true/false, a number of idle minutes, a duration like \"30m\", \"10h\", \"2d\", \"1w\", or a mapping. Got: %q.", s)
	}
	n, _ := strconv.Atoi(m[1])
	mult := map[string]int{"": 1, "m": 1, "h": 60, "d": 60 * 24, "w": 60 * 24 * 7}[strings.ToLower(m[2])]
	if n > math.MaxInt32/mult {
		return 0, valueErr("Invalid autostop", "autostop %q is too long.", s)
	}
	return n * mult, nil
}

// formatQuantity renders a quantity as written in YAML ("8+", "4x").
func (q *Quantity) String() string {
	if q == nil {
		return ""
	}
	s := strconv.FormatFloat(q.Value, 'f', -1, 64)
	if q.PerCPU {
		s += "x"
	}
	if q.AtLeast {
		s += "+"
	}
	return s
}
