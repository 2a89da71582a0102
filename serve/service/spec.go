package service

import (
	"fmt"

	"github.com/skyplan/skyplan/state"
)

// ParseSpec parses one service version's task YAML into a Spec.
func ParseSpec(v state.ServiceVersion) (*Spec, error) {
	return nil, fmt.Errorf("service %s version %d: service specs are not parsed yet", v.Service, v.Version)
}
