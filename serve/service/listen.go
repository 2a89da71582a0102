package service

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/skyplan/skyplan/task"
)

// listenBalancer opens a load balancer's listener on host. A recorded
// port (a restarted daemon) is taken again or it is an error: clients
// know the endpoint. A new balancer takes the first free port of ranges
// (a controller VM's serve_ports, the only ones its security group
// opens), or any free port when ranges is empty. A recorded port outside
// ranges (serve.ports changed since) is given up for one within them:
// the security group no longer opens it.
func listenBalancer(host string, port int, ranges []task.PortRange) (net.Listener, error) {
	if port != 0 && len(ranges) > 0 && !inRanges(port, ranges) {
		port = 0
	}
	if port != 0 || len(ranges) == 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil && port != 0 {
			return nil, fmt.Errorf("load balancer port %d: %w", port, err)
		}
		return ln, err
	}
	var last error
	for _, r := range ranges {
		for p := r.From; p <= r.To; p++ {
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
			if err == nil {
				return ln, nil
			}
			last = err
		}
	}
	if last == nil {
		last = errors.New("no ports")
	}
	return nil, fmt.Errorf("no free load balancer port in %s on %s (serve.ports): %w", portsString(ranges), host, last)
}

func inRanges(port int, ranges []task.PortRange) bool {
	for _, r := range ranges {
		if r.From <= port && port <= r.To {
			return true
		}
	}
	return false
}

func portsString(ranges []task.PortRange) string {
	s := ""
	for i, r := range ranges {
		if i > 0 {
			s += ","
		}
		s += r.String()
	}
	return s
}
