// Package mailtest runs a real SMTP server in the test's process
// (github.com/emersion/go-smtp) that offers STARTTLS with a certificate made
// for the test, requires AUTH PLAIN over TLS, and records every message
// delivered to it.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one delivered message.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool // the session was encrypted (STARTTLS) when the message came
}

// Server is an in-process SMTP server.
type Server struct {
	Addr     string // host:port it listens on
	User     string // the account it accepts
	Password string
	Roots    *x509.CertPool // trusts the server's certificate

	srv *smtp.Server
	mu  sync.Mutex
	got []Message
	// fail, if positive, is how many more messages to refuse (421, a
	// temporary failure) before accepting again.
	fail int
}

// New starts a server on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB) *Server { return start(t, true) }

// NewWithoutTLS starts a server that offers no STARTTLS (and takes AUTH in
// the clear), as a misconfigured or downgraded relay would.
func NewWithoutTLS(t testing.TB) *Server { return start(t, false) }

func start(t testing.TB, withTLS bool) *Server {
	t.Helper()
	cert, roots := certificate(t)
	s := &Server{User: "dissent", Password: "test-password", Roots: roots}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, c: c}, nil
	}))
	s.srv.Domain = "localhost"
	if withTLS {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	} else {
		s.srv.AllowInsecureAuth = true
	}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// URL is the SMTP URL of the server with its account.
func (s *Server) URL() string {
	return (&url.URL{Scheme: "smtp", User: url.UserPassword(s.User, s.Password), Host: s.Addr}).String()
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

// Count returns how many messages were delivered.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

// FailNext makes the server refuse the next n messages with a temporary
// failure (421).
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

type session struct {
	s      *Server
	c      *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	if _, ok := x.c.TLSConnectionState(); !ok && x.s.srv.TLSConfig != nil {
		return nil, errors.New("authentication needs TLS")
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return smtp.ErrAuthFailed
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, tlsOn := x.c.TLSConnectionState()
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.fail > 0 {
		x.s.fail--
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.s.got = append(x.s.got, Message{From: x.from, To: x.to, Data: b, TLS: tlsOn})
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// certificate makes a self-signed certificate for localhost and 127.0.0.1.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Recipients returns the To addresses of every message, in order.
func (s *Server) Recipients() []string {
	var out []string
	for _, m := range s.Messages() {
		out = append(out, strings.Join(m.To, ","))
	}
	return out
}
