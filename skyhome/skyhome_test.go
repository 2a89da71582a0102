package skyhome

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func TestEnsureSSHKeyCreatesOnceWithTightPermissions(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	priv, pub, err := EnsureSSHKey()
	if err != nil {
		t.Fatal(err)
	}
	if priv != filepath.Join(Dir(), "ssh", "skyplan-key") {
		t.Errorf("key path %s", priv)
	}
	st, err := os.Stat(priv)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", st, err)
	}
	data, _ := os.ReadFile(priv)
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))); !strings.HasPrefix(pub, got) || signer.PublicKey().Type() != "ssh-ed25519" {
		t.Errorf("public key %q does not match private key %q", pub, got)
	}
	_, pub2, err := EnsureSSHKey()
	if err != nil || pub2 != pub {
		t.Errorf("second call must reuse the key: %v %q", err, pub2)
	}
}

func TestWriteFileAtomicReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "main.tf")
	if err := WriteFileAtomic(path, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(path, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	if string(b) != "two" || st.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v", b, st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
}

func TestDirHonoursSKYPLAN_HOME(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", "/x/y")
	if Dir() != "/x/y" || ClusterDir("c") != "/x/y/clusters/c" || StateDB() != "/x/y/state.db" || LogsDir("c", "3") != "/x/y/logs/c/3" {
		t.Error("paths do not follow SKYPLAN_HOME")
	}
	t.Setenv("SKYPLAN_HOME", "")
	t.Setenv("HOME", "/home/u")
	if Dir() != "/home/u/.skyplan" {
		t.Errorf("default dir %s", Dir())
	}
}
