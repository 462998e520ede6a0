package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// TestBackupAgeKeyTypes: backup and restore take every recipient and
// identity type of the age module, not only X25519: an ssh-ed25519 key
// (agessh), and a plugin (filippo.io/age/plugin), here a tiny plugin built
// by the test and found on PATH as age-plugin-dissenttest, which stands in
// for age-plugin-yubikey and other hardware keys.
func TestBackupAgeKeyTypes(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, err := backupCLI(t, nil, "init", "--data", data); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}

	// ssh-ed25519.
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "backup key")
	if err != nil {
		t.Fatal(err)
	}
	sshKey := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(sshKey, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	sshRecipient := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))

	// A plugin.
	bin := t.TempDir()
	build := exec.Command(goCommand(t), "build", "-o", filepath.Join(bin, "age-plugin-dissenttest"), "./testdata/age-plugin-dissenttest")
	build.Env = append(os.Environ(), "GOPROXY=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the test plugin: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	pluginRecipient := plugin.EncodeRecipient("dissenttest", []byte(x.Recipient().String()))
	pluginIdentity := filepath.Join(dir, "plugin.identity")
	if err := os.WriteFile(pluginIdentity, []byte("# a plugin identity\n"+plugin.EncodeIdentity("dissenttest", []byte(x.String()))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	recipientsFile := filepath.Join(dir, "recipients")
	if err := os.WriteFile(recipientsFile, []byte("# the plugin\n"+pluginRecipient+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		args     []string
		identity string
	}{
		{"ssh-ed25519", []string{"--recipient", sshRecipient}, sshKey},
		{"plugin", []string{"--recipient", pluginRecipient}, pluginIdentity},
		{"plugin in a recipients file", []string{"--recipients-file", recipientsFile}, pluginIdentity},
	} {
		t.Run(tt.name, func(t *testing.T) {
			arch := filepath.Join(t.TempDir(), "b.age")
			if out, err := backupCLI(t, nil, append([]string{"backup", "--data", data, "--out", arch}, tt.args...)...); err != nil {
				t.Fatalf("backup: %v\n%s", err, out)
			}
			if _, err := os.Stat(arch + ".identity"); err == nil {
				t.Error("backup generated an identity although a recipient was given")
			}
			target := filepath.Join(t.TempDir(), "restored")
			if out, err := backupCLI(t, nil, "restore", "--in", arch, "--identity", tt.identity, "--data", target); err != nil {
				t.Fatalf("restore: %v\n%s", err, out)
			}
			// Another key of the same type does not open it.
			other, _ := age.GenerateX25519Identity()
			wrong := filepath.Join(t.TempDir(), "wrong")
			if err := os.WriteFile(wrong, []byte(plugin.EncodeIdentity("dissenttest", []byte(other.String()))+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := backupCLI(t, nil, "restore", "--in", arch, "--identity", wrong, "--data", filepath.Join(t.TempDir(), "r2")); err == nil {
				t.Errorf("restore with a wrong identity succeeded:\n%s", out)
			}
		})
	}
	t.Run("bad recipients are refused by name", func(t *testing.T) {
		for _, r := range []string{"age1nothing", "ssh-dss AAAA", "github:someone", "AGE-SECRET-KEY-1QQQ"} {
			if out, err := backupCLI(t, nil, "backup", "--data", data, "--out", filepath.Join(t.TempDir(), "x.age"), "--recipient", r); err == nil {
				t.Errorf("--recipient %q accepted:\n%s", r, out)
			}
		}
	})
}
