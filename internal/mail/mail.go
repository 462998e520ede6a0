// Package mail sends Dissent's notices over SMTP (github.com/wneessen/go-mail).
//
// A notice says only that something needs attention, and gives a link. It
// never holds message text, a title or a name: Compose builds it from the
// kind of notification alone, and the only variable parts are the
// deployment's address and, for the channel office's own notices, the
// message's random id.
//
// The notices wait in the database's outbox, queued in the transaction of
// the change they tell of. A Sender on each instance claims a batch (the
// claim lets no other instance take it), sends it, and marks each one sent,
// or, after a failure, due again after a back-off. An instance that dies
// between sending and marking leaves its claim to lapse; the notice is then
// sent again by another instance, so delivery is exactly once except in that
// window, where it is at least once.
//
// Connections use STARTTLS, and the TLS policy is mandatory: a server that
// does not offer STARTTLS gets nothing. Only a URL that asks for it
// explicitly (smtp://relay:25/?tls=none, for a relay on the same host) sends
// in the clear.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/dissent-channel/dissent"
)

// Config is how to reach the SMTP server.
type Config struct {
	// URL is smtp://USER:PASSWORD@HOST:PORT (port 587 by default); the
	// query ?tls=none turns TLS off, for a relay on the same host only.
	URL string
	// From is the sender address, e.g. dissent@agency.example.
	From string
	// BaseURL is where people reach the service, for links.
	BaseURL string
	// TLS, if set, is the TLS configuration (e.g. the roots a test
	// trusts); by default the system roots and the URL's host.
	TLS *tls.Config
}

// server is a parsed SMTP URL.
type server struct {
	host       string
	port       int
	user, pass string
	noTLS      bool
}

// parseURL checks an SMTP URL. Its errors never repeat the password.
func parseURL(s string) (server, error) {
	u, err := url.Parse(s)
	if err != nil {
		return server{}, errors.New("SMTP URL: not a URL; want smtp://USER:PASSWORD@HOST:PORT")
	}
	if u.Scheme != "smtp" {
		return server{}, fmt.Errorf("SMTP URL: scheme %q; want smtp://USER:PASSWORD@HOST:PORT", u.Scheme)
	}
	sv := server{host: u.Hostname(), port: 587}
	if sv.host == "" {
		return server{}, errors.New("SMTP URL: no host; want smtp://USER:PASSWORD@HOST:PORT")
	}
	if p := u.Port(); p != "" {
		if sv.port, err = strconv.Atoi(p); err != nil || sv.port < 1 || sv.port > 65535 {
			return server{}, fmt.Errorf("SMTP URL: port %q is not a port number", p)
		}
	}
	if u.User != nil {
		sv.user = u.User.Username()
		sv.pass, _ = u.User.Password()
	}
	switch v := u.Query().Get("tls"); v {
	case "", "starttls":
	case "none":
		sv.noTLS = true
	default:
		return server{}, fmt.Errorf("SMTP URL: tls=%q; want starttls (the default) or none", v)
	}
	return sv, nil
}

// Outbox is what the Sender needs of the Service.
type Outbox interface {
	ClaimMail(ctx context.Context, holder string, now time.Time, ttl time.Duration, limit int) ([]dissent.OutboxMail, error)
	MailSent(ctx context.Context, id int64, holder string, at time.Time) error
	MailFailed(ctx context.Context, id int64, holder string, next time.Time, reason string) error
}

var _ Outbox = (*dissent.Service)(nil)

// Sender sends the outbox. Run is called once, by the goroutine that owns
// the sender, and returns when ctx ends, after the batch under way.
type Sender struct {
	outbox Outbox
	cfg    Config
	client *gomail.Client
	Holder string        // this instance's name in claims, unique among instances
	Every  time.Duration // how often to look at the outbox; default 10 s
	Batch  int           // e-mails per claim; default 50
	// ClaimTTL is how long a claim keeps other instances off; default 2
	// minutes, longer than a batch takes to send.
	ClaimTTL time.Duration
	Now      func() time.Time // default time.Now
	Log      *slog.Logger
	// Observe, if set, is told how many e-mails each flush sent and how
	// many failed (for metrics).
	Observe func(sent, failed int)
}

// New checks cfg and returns a Sender.
func New(outbox Outbox, cfg Config, holder string) (*Sender, error) {
	sv, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.From == "" || !strings.Contains(cfg.From, "@") {
		return nil, fmt.Errorf("sender address %q: want an address such as dissent@agency.example", cfg.From)
	}
	if _, err := url.ParseRequestURI(cfg.BaseURL); err != nil || cfg.BaseURL == "" {
		return nil, fmt.Errorf("base URL %q: want the service's address, e.g. https://dissent.agency.example", cfg.BaseURL)
	}
	if holder == "" {
		return nil, errors.New("mail sender: a holder name is required")
	}
	// No NOOP before each message of a batch: servers count commands
	// outside mail transactions and drop the session after a few (exim's
	// smtp_accept_max_nonmail is 10), which cut every batch after ten. A
	// connection lost meanwhile fails its message, which is retried.
	opts := []gomail.Option{gomail.WithPort(sv.port), gomail.WithTimeout(30 * time.Second), gomail.WithoutNoop()}
	if sv.noTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	} else {
		tc := cfg.TLS
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tc = tc.Clone()
		if tc.ServerName == "" {
			tc.ServerName = sv.host
		}
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	}
	if sv.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(sv.user), gomail.WithPassword(sv.pass))
	}
	c, err := gomail.NewClient(sv.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client for %s: %w", net.JoinHostPort(sv.host, strconv.Itoa(sv.port)), err)
	}
	return &Sender{outbox: outbox, cfg: cfg, client: c, Holder: holder}, nil
}

func (s *Sender) defaults() (time.Duration, int, time.Duration, func() time.Time, *slog.Logger) {
	every, batch, ttl, now, log := s.Every, s.Batch, s.ClaimTTL, s.Now, s.Log
	if every <= 0 {
		every = 10 * time.Second
	}
	if batch <= 0 {
		batch = 50
	}
	if ttl <= 0 {
		ttl = 2 * time.Minute
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return every, batch, ttl, now, log
}

// Run flushes the outbox every Every until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	every, _, _, _, log := s.defaults()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, _, err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			log.Warn("mail: flush", "holder", s.Holder, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Backoff is the wait before the next attempt after n failed ones: one
// minute, doubling, at most six hours.
func Backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// Flush claims due e-mails batch by batch and sends them until none is
// left, and returns how many were sent and how many failed.
func (s *Sender) Flush(ctx context.Context) (sent, failed int, err error) {
	_, batch, ttl, now, log := s.defaults()
	defer func() {
		if s.Observe != nil && sent+failed > 0 {
			s.Observe(sent, failed)
		}
	}()
	for ctx.Err() == nil {
		mails, err := s.outbox.ClaimMail(ctx, s.Holder, now(), ttl, batch)
		if err != nil || len(mails) == 0 {
			return sent, failed, err
		}
		msgs := make([]*gomail.Msg, len(mails))
		for i, m := range mails {
			if msgs[i], err = s.message(m); err != nil {
				return sent, failed, err
			}
		}
		sendErr := s.client.DialAndSendWithContext(ctx, msgs...)
		for i, m := range mails {
			if sendErr == nil || msgs[i].IsDelivered() {
				if err := s.outbox.MailSent(context.WithoutCancel(ctx), m.ID, s.Holder, now()); err != nil {
					log.Warn("mail: mark sent", "mail", m.ID, "err", err)
				}
				sent++
				continue
			}
			failed++
			reason := "send failed"
			if e := msgs[i].SendError(); e != nil {
				reason = safeReason(e)
			} else {
				reason = safeReason(sendErr)
			}
			next := now().Add(Backoff(m.Attempts + 1))
			log.Warn("mail: send", "mail", m.ID, "attempt", m.Attempts+1, "retry_at", next.UTC().Format(time.RFC3339), "reason", reason)
			if err := s.outbox.MailFailed(context.WithoutCancel(ctx), m.ID, s.Holder, next, reason); err != nil {
				log.Warn("mail: record failure", "mail", m.ID, "err", err)
			}
		}
		if sendErr != nil && failed > 0 && sent == 0 {
			return sent, failed, nil // the server is unwell: wait for the next tick
		}
	}
	return sent, failed, ctx.Err()
}

// safeReason shortens an SMTP error for the outbox and the log; SMTP
// errors name no message content (the notices hold none) but may echo an
// address, which is cut.
func safeReason(err error) string {
	s := err.Error()
	if i := strings.IndexAny(s, "<@"); i >= 0 {
		s = s[:i] + "[…]"
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func (s *Sender) message(m dissent.OutboxMail) (*gomail.Msg, error) {
	subject, body := Compose(m, s.cfg.BaseURL)
	// No User-Agent (it names the library and its version), and a
	// Message-ID under the public URL's host, never the machine's name.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.cfg.From); err != nil {
		return nil, fmt.Errorf("sender address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient of e-mail %d: %w", m.ID, err)
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(rand.Text() + "@" + messageIDHost(s.cfg.BaseURL))
	msg.SetDate()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, body)
	return msg, nil
}

// Subject is the one subject of every notice: it tells nothing to whoever
// glimpses an inbox.
const Subject = "Dissent: something needs your attention"

// Compose returns the subject and plain-text body of a notice. Every
// notice is the same text, whatever its kind and whoever receives it:
// government mail is read by the organization, so an e-mail says only
// that something in Dissent needs attention, with a link to the
// notification list behind sign-in, where the notice says more. No kind,
// no message id, no title, name or act.
func Compose(m dissent.OutboxMail, baseURL string) (subject, body string) {
	base := strings.TrimRight(baseURL, "/")
	if m.Account {
		return composeAccount(m, base)
	}
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	b.WriteString("Something in Dissent needs your attention.\n\n")
	b.WriteString("Sign in to see it:\n")
	b.WriteString(base + "/notifications")
	b.WriteString("\n\nThis e-mail never says more than this. You can turn these e-mails off\n")
	b.WriteString("on the same page.\n\n-- \nDissent\n")
	return Subject, b.String()
}

// composeAccount is the e-mail of a notice about the recipient's own
// account: a credential issued for them, or their one-time sign-in link.
// Such notices cannot be turned off.
func composeAccount(m dissent.OutboxMail, base string) (subject, body string) {
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	b.WriteString(dissent.AccountNoticeText(m.Kind))
	if l := m.Link.Reveal(); l != "" {
		b.WriteString("\n\nSign in here, then add a passkey:\n")
		b.WriteString(base + "/signin/link/" + l)
		b.WriteString("\n\nDo not forward this e-mail: whoever holds the link can sign in as you.\n")
	} else {
		b.WriteString("\n\nSee your account here (you may be asked to sign in):\n")
		b.WriteString(base + "/account")
		b.WriteString("\n\nIf you did not expect this, tell your administrator and the channel office.\n")
	}
	b.WriteString("\n-- \nDissent\n")
	return Subject, b.String()
}

// messageIDHost is the domain of Message-IDs: the public URL's host
// without a port, or "dissent.invalid" when it has none.
func messageIDHost(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "dissent.invalid"
	}
	return u.Hostname()
}
