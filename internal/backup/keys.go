package backup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/ssh"
)

// ParseRecipient reads one recipient of any type the age module supports,
// as the age command does: X25519 (age1…), hybrid post-quantum (age1pq1…),
// ssh-ed25519 and ssh-rsa public keys (agessh), and plugin recipients
// (age1NAME1…, encrypted by the program age-plugin-NAME found on PATH, such
// as age-plugin-yubikey for a hardware key). ui talks to the person for a
// plugin that asks (nil: plugins that ask fail).
func ParseRecipient(s string, ui *plugin.ClientUI) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		return age.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1") && strings.Count(s, "1") > 1: // Bech32 data holds no "1"
		return plugin.NewRecipient(s, orNoUI(ui))
	case strings.HasPrefix(s, "age1"):
		return age.ParseX25519Recipient(s)
	case strings.HasPrefix(s, "ssh-"):
		return agessh.ParseRecipient(s)
	}
	return nil, errors.New("unknown recipient type: want age1…, age1pq1…, age1PLUGIN1… or an ssh-ed25519 or ssh-rsa public key")
}

// ParseRecipients reads recipients one a line; blank lines and lines
// starting with # are skipped. Errors name the line, never its content.
func ParseRecipients(r io.Reader, ui *plugin.ClientUI) ([]age.Recipient, error) {
	var out []age.Recipient
	sc := bufio.NewScanner(io.LimitReader(r, 16<<20))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "AGE-") {
			return nil, fmt.Errorf("line %d: an identity (a secret key), not a recipient", n)
		}
		rc, err := ParseRecipient(line, ui)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rc)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no recipients found")
	}
	return out, nil
}

// ParseIdentities reads an identity file of any type the age module
// supports, as the age command does: an OpenSSH or PEM private key (ssh
// ed25519 or RSA, unencrypted), or lines of X25519 and hybrid identities
// (AGE-SECRET-KEY-…) and plugin identities (AGE-PLUGIN-NAME-1…, decrypted
// by age-plugin-NAME on PATH). Errors never repeat key material.
func ParseIdentities(b []byte, ui *plugin.ClientUI) ([]age.Identity, error) {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("-----BEGIN")) {
		id, err := agessh.ParseIdentity(b)
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, errors.New("the ssh key is encrypted with a passphrase; give a decrypted copy (ssh-keygen -p) or an age identity")
			}
			return nil, fmt.Errorf("ssh private key: %w", err)
		}
		return []age.Identity{id}, nil
	}
	var ids []age.Identity
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "AGE-PLUGIN-") {
			id, err := plugin.NewIdentity(line, orNoUI(ui))
			if err != nil {
				return nil, fmt.Errorf("line %d: malformed plugin identity", n)
			}
			ids = append(ids, id)
			continue
		}
		more, err := age.ParseIdentities(strings.NewReader(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: not an age identity (AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1… or AGE-PLUGIN-…)", n)
		}
		ids = append(ids, more...)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no identities found")
	}
	return ids, nil
}

// orNoUI is ui, or one that refuses every question a plugin asks.
func orNoUI(ui *plugin.ClientUI) *plugin.ClientUI {
	if ui != nil {
		return ui
	}
	no := func(name, _ string) error {
		return fmt.Errorf("plugin %s asked a question and there is no one to answer", name)
	}
	return &plugin.ClientUI{
		DisplayMessage: func(name, _ string) error { return nil },
		RequestValue:   func(name, _ string, _ bool) (string, error) { return "", no(name, "") },
		Confirm:        func(name, _, _, _ string) (bool, error) { return false, no(name, "") },
		WaitTimer:      func(string) {},
	}
}
