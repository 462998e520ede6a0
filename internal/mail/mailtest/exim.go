package mailtest

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Exim is Debian's MTA (package exim4-daemon-light), started by the test as
// a daemon of its own on a free loopback port: its own configuration file,
// spool, log and mailbox in a temporary directory, STARTTLS with a
// certificate made for the test, relaying for 127.0.0.1 only, and exim's
// default limits (among them smtp_accept_max_nonmail = 10). It never
// touches the system's exim daemon or its spool. Every message is
// delivered to one mailbox file, whatever its recipient.
type Exim struct {
	Addr  string         // 127.0.0.1:PORT
	Roots *x509.CertPool // trusts the daemon's certificate
	dir   string
}

// eximBinary finds exim4 on PATH or where Debian installs it.
func eximBinary() (string, error) {
	if p, err := exec.LookPath("exim4"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/exim4"); err == nil {
		return "/usr/sbin/exim4", nil
	}
	return "", fmt.Errorf("exim4 not found on PATH or in /usr/sbin")
}

// StartExim starts the daemon and stops it when the test ends. Without
// exim4 the test is skipped, or fails when DISSENT_REQUIRE_E2E=1.
func StartExim(t testing.TB) *Exim {
	t.Helper()
	bin, err := eximBinary()
	if err != nil {
		if os.Getenv("DISSENT_REQUIRE_E2E") == "1" {
			t.Fatalf("%v; DISSENT_REQUIRE_E2E=1 requires it (apt-get install exim4-daemon-light)", err)
		}
		t.Skipf("%v: install Debian's exim4-daemon-light to run this test (set DISSENT_REQUIRE_E2E=1 to fail instead)", err)
	}
	// exim drops root for the exim user when given its own configuration
	// file, so the directory must be open to that user: not t.TempDir,
	// which is 0700.
	dir, err := os.MkdirTemp("", "dissent-exim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, d := range []string{dir, filepath.Join(dir, "spool"), filepath.Join(dir, "log")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	cert, roots := certificate(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	// The key is the test's own, readable by the exim user.
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	deliverAs, err := eximUser(bin)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	conf := fmt.Sprintf(eximConfig, port, dir, deliverAs)
	confPath := filepath.Join(dir, "exim.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	// -bdf: the daemon in the foreground, so that the test owns and stops
	// it. Exim delivers at once only the first 10 messages of a connection
	// (smtp_accept_queue_per_connection) and queues the rest, so a queue
	// runner every second (-q1s) delivers those.
	cmd := exec.Command(bin, "-C", confPath, "-bdf", "-q1s")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start exim: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	x := &Exim{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Roots: roots, dir: dir}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", x.Addr, time.Second)
		if err == nil {
			c.Close()
			return x
		}
		select {
		case err := <-done:
			t.Fatalf("exim exited: %v\n%s\n%s", err, out.String(), x.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("exim does not listen on %s: %v\n%s\n%s", x.Addr, err, out.String(), x.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eximConfig is the daemon's whole configuration; what it does not set
// keeps exim's defaults. Arguments: port, directory, delivery user.
const eximConfig = `# Written by mailtest.StartExim for one test.
primary_hostname = localhost
daemon_smtp_ports = %[1]d
local_interfaces = 127.0.0.1
spool_directory = %[2]s/spool
log_file_path = %[2]s/log/%%slog
pid_file_path = %[2]s/exim.pid
keep_environment =
domainlist local_domains = *
tls_advertise_hosts = *
tls_certificate = %[2]s/cert.pem
tls_privatekey = %[2]s/key.pem
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_data = acl_check_data

begin acl
acl_check_rcpt:
  accept hosts = 127.0.0.1
  deny message = relay not permitted
acl_check_data:
  accept

begin routers
mailbox:
  driver = accept
  transport = mailbox

begin transports
mailbox:
  driver = appendfile
  file = %[2]s/mailbox
  envelope_to_add
  user = %[3]s
  mode = 0644
`

// eximUser is who delivers: exim gives up root for its own user when run
// with a configuration of the caller's, and cannot change user otherwise.
func eximUser(bin string) (string, error) {
	if os.Geteuid() == 0 {
		out, err := exec.Command(bin, "-bP", "exim_user").Output()
		if err != nil {
			return "", fmt.Errorf("exim -bP exim_user: %w", err)
		}
		_, name, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
		if !ok {
			return "", fmt.Errorf("exim -bP exim_user: %q", out)
		}
		return strings.TrimSpace(name), nil
	}
	u, err := user.Current()
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the SMTP URL of the daemon (no account: it relays for loopback).
func (x *Exim) URL() string { return "smtp://" + x.Addr }

// Log is exim's main log (and its panic log, if any).
func (x *Exim) Log() string {
	var b strings.Builder
	for _, f := range []string{"mainlog", "paniclog", "rejectlog"} {
		if data, err := os.ReadFile(filepath.Join(x.dir, "log", f)); err == nil {
			fmt.Fprintf(&b, "== %s\n%s", f, data)
		}
	}
	return b.String()
}

// Delivered returns the messages in the mailbox, each with the envelope
// recipients exim added (Envelope-to).
func (x *Exim) Delivered() ([]Message, error) {
	data, err := os.ReadFile(filepath.Join(x.dir, "mailbox"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var msgs []Message
	var cur *Message
	var body bytes.Buffer
	flush := func() {
		if cur != nil {
			cur.Data = bytes.Clone(body.Bytes())
			msgs = append(msgs, *cur)
		}
		body.Reset()
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "From "); ok {
			flush()
			from, _, _ := strings.Cut(rest, " ")
			cur = &Message{From: from}
			continue
		}
		if cur == nil {
			continue
		}
		if to, ok := strings.CutPrefix(line, "Envelope-to: "); ok {
			for _, a := range strings.Split(to, ",") {
				cur.To = append(cur.To, strings.TrimSpace(a))
			}
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// Received counts the messages exim's log says it accepted, and of them
// those that came over an encrypted session (protocol esmtps or
// utf8esmtps: after STARTTLS).
func (x *Exim) Received() (all, encrypted int) {
	for _, l := range strings.Split(x.Log(), "\n") {
		if strings.Contains(l, " <= ") {
			all++
			if _, proto, ok := strings.Cut(l, " P="); ok && strings.Contains(strings.Fields(proto)[0], "esmtps") {
				encrypted++
			}
		}
	}
	return all, encrypted
}
