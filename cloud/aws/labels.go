package aws

import (
	"regexp"
	"strings"

	"github.com/skyplan/skyplan/cloud"
)

var _ cloud.LabelRules = Cloud{}

var labelKeyRE = regexp.MustCompile(`^\S{1,127}$`)

// LabelValid: AWS tag keys are 1-127 non-space characters not starting
// with "aws:", values at most 255 characters.
func (Cloud) LabelValid(k, v string) bool {
	return labelKeyRE.MatchString(k) && !strings.HasPrefix(k, "aws:") && len(v) <= 255
}

func (Cloud) LabelRule() string {
	return "AWS tag keys are 1-127 non-space characters not starting with \"aws:\", values at most 255 characters."
}
