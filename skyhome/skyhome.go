// Package skyhome locates skyplan's per-user directory ($SKYPLAN_HOME,
// default ~/.skyplan) and the files skyplan keeps there.
package skyhome

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Dir returns $SKYPLAN_HOME or ~/.skyplan (not created).
func Dir() string {
	if d := os.Getenv("SKYPLAN_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ".skyplan"
	}
	return filepath.Join(home, ".skyplan")
}

// Path joins elements under Dir().
func Path(elem ...string) string { return filepath.Join(append([]string{Dir()}, elem...)...) }

// StateDB is the SQLite state file.
func StateDB() string { return Path("state.db") }

// ClusterDir is the Terraform working directory of a cluster.
func ClusterDir(name string) string { return Path("clusters", name) }

// LogsDir is where a job's per-node logs are kept.
func LogsDir(cluster, job string) string { return Path("logs", cluster, job) }

// SSHKeyPath is skyplan's own private key; the public key is SSHKeyPath()+".pub".
func SSHKeyPath() string { return Path("ssh", "skyplan-key") }

// EnsureSSHKey returns skyplan's ed25519 key pair, creating it (0600) on
// first use. pub is in authorized_keys format without a trailing newline.
func EnsureSSHKey() (privPath, pub string, err error) {
	privPath = SSHKeyPath()
	pubPath := privPath + ".pub"
	if b, err := os.ReadFile(pubPath); err == nil {
		if _, err := os.Stat(privPath); err == nil {
			return privPath, strings.TrimSpace(string(b)), nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(privPath), 0o700); err != nil {
		return "", "", fmt.Errorf("creating %s: %w", filepath.Dir(privPath), err)
	}
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(sk, "skyplan")
	if err != nil {
		return "", "", err
	}
	sshPub, err := ssh.NewPublicKey(pk)
	if err != nil {
		return "", "", err
	}
	pub = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " skyplan"
	if err := writeFileAtomic(privPath, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", "", err
	}
	if err := writeFileAtomic(pubPath, []byte(pub+"\n"), 0o644); err != nil {
		return "", "", err
	}
	return privPath, pub, nil
}

// WriteFileAtomic writes data to a temp file in the same directory and
// renames it over path, so readers never see a half-written file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFileAtomic(path, data, perm)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
