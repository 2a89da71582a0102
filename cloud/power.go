package cloud

// Power is a cloud whose clusters skyplan can stop and start through
// Terraform (a power file in the cluster's root pins the nodes' state).
// It is the one answer for `skyplan stop`/`start` and for autostop's stop
// action, so state.db and the cloud never disagree about who stopped what:
// where Power says no, neither skyplan stop nor autostop stops nodes.
type Power interface {
	// CanStop reports whether nodes of the market can be stopped, and why
	// not when they cannot.
	CanStop(spot bool) (ok bool, reason string)
	// PowerHCL is the Terraform source of the power file (nodes running or
	// stopped) and the resource address that an apply targets.
	PowerHCL(running bool) (src, target string)
}

// SelfStop is a cloud whose nodes can stop or delete themselves: the
// autostop script on the head runs HeadCommand when the cluster is idle.
type SelfStop interface {
	// HeadCommand stops (down=false) or terminates (down=true) the nodes
	// with the given instance ids (already shell-quoted, space-separated).
	HeadCommand(region, zone, quotedIDs string, down bool) string
}

// CanStop is Power.CanStop of the cloud called name; clouds without Power
// cannot be stopped.
func CanStop(name string, spot bool) (bool, string) {
	p, ok := As[Power](name)
	if !ok {
		return false, DisplayName(name) + " clusters cannot be stopped by skyplan (only AWS on-demand clusters can)"
	}
	return p.CanStop(spot)
}
