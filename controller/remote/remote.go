// Package remote runs skyplan's controller daemon on a VM it reaches over
// SSH: it copies the running skyplan binary there (the same version as
// the client), starts it supervised (systemd with Restart=on-failure, or a
// restart loop where there is no systemd), replaces it when the client's
// binary changes, and forwards CLI commands to it. The VM itself is
// compiled and applied by package cluster (controllervm's module); this
// package only needs a Shell to it.
//
// No admin port: every exchange is a command over the SSH connection the
// CLI already has (the same key and host-key pinning as cluster nodes),
// so the VM's security group opens only SSH and the serve ports. No keys
// are copied: the daemon's cloud permissions come from the VM's instance
// profile.
package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Shell runs commands on the controller VM (runner.Shell through cluster).
type Shell interface {
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error)
	Close()
}

// Install is what `controller up` puts on the VM.
type Install struct {
	// Binary is the local skyplan executable to copy (os.Executable).
	Binary string
	// Config is the daemon's config.yaml (RemoteConfig).
	Config []byte
	// Home is the daemon's SKYPLAN_HOME (state_mount/home) unless the
	// VM's environment file sets SKYPLAN_HOME.
	Home string
	// User is the login user (the systemd unit's User=).
	User        string
	InstanceID  string
	IdleMinutes int
	// Wait bounds waiting for the daemon to hold its lock (default 60 s).
	Wait time.Duration
}

// Installed says what Up found and did.
type Installed struct {
	SHA       string // the binary's sha256 (16 hex digits)
	Copied    bool   // the binary was copied (new VM or new version)
	Restarted bool   // a running daemon was replaced (new binary or config)
	// ConfigChanged: the config written differs from the VM's.
	ConfigChanged bool
	Supervisor    string // "systemd" or "supervisor"
	Probe         Probe
}

// Probe is `skyplan controller probe -o json` on the VM.
type Probe struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid"`
	Version string `json:"version"`
	Home    string `json:"home"`
	Log     string `json:"log"`
}

// FileSHA is the first 16 hex digits of the sha256 of a file.
func FileSHA(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// output runs cmd and returns stdout; a non-zero exit is an error with stderr.
func output(ctx context.Context, sh Shell, cmd string, stdin io.Reader) (string, error) {
	var out, errb bytes.Buffer
	code, err := sh.Run(ctx, cmd, stdin, &out, &errb)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return out.String(), fmt.Errorf("on the controller VM: exit %d: %s", code, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Up makes the VM run in.Binary's version of the daemon: copy the binary
// unless the VM has it, write the scripts and config, start the
// supervised daemon (restart it onto a new binary), and wait until it
// holds its lock. Running jobs and services survive a restart: their state
// is in state.db on the state volume and the daemon adopts them.
func Up(ctx context.Context, sh Shell, in Install, log io.Writer) (Installed, error) {
	var res Installed
	sha, err := FileSHA(in.Binary)
	if err != nil {
		return res, fmt.Errorf("hashing the skyplan binary: %w", err)
	}
	res.SHA = sha
	home, err := output(ctx, sh, `mkdir -p "$HOME/`+Dir+`/bin" && echo "$HOME"`, nil)
	if err != nil {
		return res, err
	}
	home = strings.TrimSpace(home)
	cur, _ := output(ctx, sh, `cat "$HOME/`+Dir+`/bin/current" 2>/dev/null || true`, nil)
	if strings.TrimSpace(cur) != sha {
		f, err := os.Open(in.Binary)
		if err != nil {
			return res, err
		}
		fmt.Fprintf(log, "Copying skyplan (%s) to the controller …\n", sha)
		bin := `"$HOME/` + Dir + `/bin/skyplan-` + sha + `"`
		_, err = output(ctx, sh, `set -e; cat > `+bin+`.tmp && chmod 755 `+bin+`.tmp && mv -f `+bin+`.tmp `+bin, f)
		f.Close()
		if err != nil {
			return res, fmt.Errorf("copying the skyplan binary: %w", err)
		}
		res.Copied = true
	}
	files := map[string]string{
		"env.sh":    envScript(in.Home, in.InstanceID, in.IdleMinutes),
		"supervise": superviseScript,
	}
	for name, body := range files {
		p := `"$HOME/` + Dir + `/` + name + `"`
		if _, err := output(ctx, sh, `cat > `+p+`.tmp && chmod 755 `+p+`.tmp && mv -f `+p+`.tmp `+p, strings.NewReader(body)); err != nil {
			return res, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	// A daemon reads its config when it starts: a changed one (serve
	// ports, allowed sources, the VM's new address after a stop and
	// start, whose systemd unit started the daemon at boot with the old
	// one) needs a restart, as a new binary does.
	old, _ := output(ctx, sh, `. "$HOME/`+Dir+`/env.sh" && cat "$SKYPLAN_HOME/config.yaml" 2>/dev/null || true`, nil)
	res.ConfigChanged = old != string(in.Config)
	if _, err := output(ctx, sh, `. "$HOME/`+Dir+`/env.sh" && mkdir -p "$SKYPLAN_HOME" && umask 077 && cat > "$SKYPLAN_HOME/config.yaml.tmp" && mv -f "$SKYPLAN_HOME/config.yaml.tmp" "$SKYPLAN_HOME/config.yaml"`, bytes.NewReader(in.Config)); err != nil {
		return res, fmt.Errorf("writing the controller's config: %w", err)
	}
	before, _ := probe(ctx, sh)
	// Switch the symlink last: a daemon restarting (kill -9, on-failure)
	// between the copy and here keeps running the old version.
	if _, err := output(ctx, sh, `set -e; cd "$HOME/`+Dir+`/bin"; ln -sfn skyplan-`+sha+` skyplan.new; mv -Tf skyplan.new skyplan; echo `+sha+` > current.tmp; mv -f current.tmp current`, nil); err != nil {
		return res, err
	}
	restart := (res.Copied || res.ConfigChanged) && before.Running
	switch {
	case restart && res.Copied:
		fmt.Fprintf(log, "Replacing the controller daemon (pid %d) with the new binary …\n", before.PID)
	case restart:
		fmt.Fprintf(log, "Restarting the controller daemon (pid %d): its config changed …\n", before.PID)
	}
	kind, err := output(ctx, sh, startCmd(restart, unitFile(in.User, home)), nil)
	if err != nil {
		return res, fmt.Errorf("starting the controller daemon: %w", err)
	}
	res.Supervisor, res.Restarted = strings.TrimSpace(kind), restart
	wait := in.Wait
	if wait <= 0 {
		wait = time.Minute
	}
	deadline := time.Now().Add(wait)
	for {
		p, err := probe(ctx, sh)
		if err == nil && p.Running && p.PID > 0 && (!restart || p.PID != before.PID) {
			res.Probe = p
			return res, nil
		}
		if time.Now().After(deadline) {
			tail, _ := output(ctx, sh, `. "$HOME/`+Dir+`/env.sh"; tail -n 20 "$SKYPLAN_HOME/controller/controller.log" 2>/dev/null`, nil)
			return res, fmt.Errorf("the controller daemon did not start within %s (probe: %v); its log ends:\n%s", wait, err, tail)
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// probe asks the VM's skyplan whether its daemon holds the lock.
func probe(ctx context.Context, sh Shell) (Probe, error) {
	out, err := output(ctx, sh, execCmd([]string{"controller", "probe"}), nil)
	if err != nil {
		return Probe{}, err
	}
	var p Probe
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		return Probe{}, fmt.Errorf("reading the controller's probe %q: %w", strings.TrimSpace(out), err)
	}
	return p, nil
}

// Status is the daemon's probe plus the installed binary's sha.
func Status(ctx context.Context, sh Shell) (Probe, string, error) {
	p, err := probe(ctx, sh)
	if err != nil {
		return p, "", err
	}
	sha, _ := output(ctx, sh, `cat "$HOME/`+Dir+`/bin/current" 2>/dev/null || true`, nil)
	return p, strings.TrimSpace(sha), nil
}

// Logs writes the daemon log's last lines (follow: and what comes after).
func Logs(ctx context.Context, sh Shell, lines int, follow bool, w io.Writer) error {
	f := ""
	if follow {
		f = " -F"
	}
	cmd := fmt.Sprintf(`. "$HOME/%s/env.sh" && tail -n %d%s "$SKYPLAN_HOME/controller/controller.log"`, Dir, lines, f)
	code, err := sh.Run(ctx, cmd, nil, w, w)
	if err != nil {
		return err
	}
	if code != 0 && ctx.Err() == nil {
		return fmt.Errorf("reading the controller log: exit %d", code)
	}
	return nil
}

// Exec runs the VM's skyplan with args (a forwarded CLI command) and
// returns its exit code.
func Exec(ctx context.Context, sh Shell, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	return sh.Run(ctx, execCmd(args), stdin, stdout, stderr)
}

// UploadTar unpacks a tar stream into $SKYPLAN_HOME/rel on the VM (the
// state volume) and returns that directory's absolute path there.
func UploadTar(ctx context.Context, sh Shell, rel string, tar io.Reader) (string, error) {
	out, err := output(ctx, sh, `. "$HOME/`+Dir+`/env.sh" && set -e; umask 077; d="$SKYPLAN_HOME/"`+shq(rel)+`; mkdir -p "$d"; tar --no-same-owner -xf - -C "$d"; echo "$d"`, tar)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Upload writes body to a new private temporary directory on the VM and
// returns the file's path there (a task file for a forwarded launch).
func Upload(ctx context.Context, sh Shell, name string, body []byte) (string, error) {
	out, err := output(ctx, sh, `set -e; t=$(mktemp -d "$HOME/`+Dir+`/upload.XXXXXX"); cat > "$t/"`+shq(name)+`; echo "$t/"`+shq(name), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(out), nil
}

// Active is the work a controller VM still does: managed jobs that are
// not terminal and services not yet torn down (`skyplan controller active`
// on the VM). `controller down` refuses while there is any.
type Active struct {
	Jobs     []ActiveJob     `json:"jobs"`
	Services []ActiveService `json:"services"`
}

// ActiveJob is an unfinished managed job.
type ActiveJob struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// ActiveService is a service the daemon still runs (or is tearing down).
type ActiveService struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Empty: nothing runs.
func (a Active) Empty() bool { return len(a.Jobs) == 0 && len(a.Services) == 0 }

// ActiveWork asks the VM's skyplan what is still running there.
func ActiveWork(ctx context.Context, sh Shell) (Active, error) {
	var a Active
	out, err := output(ctx, sh, execCmd([]string{"controller", "active"}), nil)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		return a, fmt.Errorf("reading the controller's active jobs %q: %w", strings.TrimSpace(out), err)
	}
	return a, nil
}
