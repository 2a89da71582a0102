package gcp

import (
	"regexp"

	"github.com/skyplan/skyplan/cloud"
)

var _ cloud.LabelRules = Cloud{}

var (
	labelKeyRE   = regexp.MustCompile(`^[a-z]([a-z0-9_-]{0,62})?$`)
	labelValueRE = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

func (Cloud) LabelValid(k, v string) bool {
	return labelKeyRE.MatchString(k) && labelValueRE.MatchString(v)
}

func (Cloud) LabelRule() string {
	return "GCP label keys start with a lowercase letter and hold up to 63 lowercase letters, digits, '_' or '-'; values up to 63 of the same."
}
