package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/skyplan/skyplan/config"
	"github.com/skyplan/skyplan/diag"
)

// DefaultSSHDetectURL answers an HTTPS GET with the caller's public
// address and nothing else (AWS's checkip service).
const DefaultSSHDetectURL = "https://checkip.amazonaws.com"

// sshDetectTimeout bounds asking for the public address: a plan or apply
// must not hang on a slow service; the fix names --ssh-cidr. A variable
// so tests can shorten it.
var sshDetectTimeout = 3 * time.Second

// SSHSource is the allow-list for port 22 of a cluster's nodes and where
// it came from: "--ssh-cidr", "config" (ssh_cidrs) or "detected".
type SSHSource struct {
	CIDRs []string
	From  string
}

// String is the line plans show: "SSH from 203.0.113.7/32 (detected)".
func (s SSHSource) String() string {
	if len(s.CIDRs) == 0 {
		return ""
	}
	return fmt.Sprintf("SSH from %s (%s)", strings.Join(s.CIDRs, ", "), s.From)
}

// SSHSources resolves the SSH allow-list: the request's ranges
// (--ssh-cidr), else config ssh_cidrs, else the caller's public address
// from the detection service (ssh_detect_url / SKYPLAN_SSH_DETECT_URL,
// "off" to never ask) as a /32 (/128). Nothing is ever widened to
// 0.0.0.0/0: when detection fails the error says how to give a range.
func (m *Manager) SSHSources(ctx context.Context, given []string) (SSHSource, diag.Diagnostics) {
	return ResolveSSHSources(ctx, m.cfg, m.getenv, m.http, given)
}

// ResolveSSHSources is SSHSources for callers without a Manager (jobs
// launch settles the range at submit); getenv and client may be nil.
func ResolveSSHSources(ctx context.Context, cfg config.Config, getenv func(string) string, client *http.Client, given []string) (SSHSource, diag.Diagnostics) {
	if len(given) > 0 {
		return SSHSource{CIDRs: given, From: "--ssh-cidr"}, nil
	}
	if len(cfg.SSHCIDRs) > 0 {
		return SSHSource{CIDRs: cfg.SSHCIDRs, From: "config ssh_cidrs"}, nil
	}
	url := ""
	if getenv != nil {
		url = getenv("SKYPLAN_SSH_DETECT_URL")
	}
	if url == "" {
		url = cfg.SSHDetectURL
	}
	if url == "" {
		url = DefaultSSHDetectURL
	}
	why := "detection is off (ssh_detect_url: off)"
	if url != "off" {
		addr, err := DetectPublicAddress(ctx, client, url)
		if err == nil {
			return SSHSource{CIDRs: []string{netip.PrefixFrom(addr, addr.BitLen()).String()}, From: "detected"}, nil
		}
		why = fmt.Sprintf("asking %s for this machine's public address failed: %v", url, err)
	}
	return SSHSource{}, diag.Diagnostics{NoSSHSource(why)}
}

// NoSSHSource is the error of a cluster with no SSH allow-list; why says
// what detection did.
func NoSSHSource(why string) diag.Diagnostic {
	return diag.Diagnostic{Severity: diag.Error, Summary: "No SSH source address",
		Detail: "skyplan never opens SSH to the whole Internet by default, and " + why + ". " +
			"Give the range that may SSH to the nodes with --ssh-cidr 203.0.113.7/32 (your public address), or set ssh_cidrs in " +
			"~/.skyplan/config.yaml or .skyplan.yaml; --ssh-cidr 0.0.0.0/0 opens SSH to everyone, with a warning.",
		Field: "--ssh-cidr"}
}

// DetectPublicAddress GETs url (HTTPS only: the answer decides who may
// SSH to the nodes) and parses the body as one IP address. client nil is
// http.DefaultClient; the whole exchange is bounded by sshDetectTimeout.
func DetectPublicAddress(ctx context.Context, client *http.Client, url string) (netip.Addr, error) {
	if !strings.HasPrefix(url, "https://") {
		return netip.Addr{}, fmt.Errorf("%q is not an https:// URL", url)
	}
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, sshDetectTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return netip.Addr{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return netip.Addr{}, fmt.Errorf("no answer within %s", sshDetectTimeout)
		}
		return netip.Addr{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("HTTP %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		return netip.Addr{}, err
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(string(body)))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("the answer %.60q is not an IP address", strings.TrimSpace(string(body)))
	}
	if addr.IsUnspecified() || addr.IsLoopback() || addr.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("the answer %s is not a public address", addr)
	}
	return addr.Unmap(), nil
}
