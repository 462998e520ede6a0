package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/mail"
)

// backgroundFlags are serve's flags for the work an instance does besides
// answering requests.
type backgroundFlags struct {
	sweepInterval time.Duration
	smtp          string
	mailFrom      string
	mailEvery     time.Duration
}

func (f *backgroundFlags) add(c *cobra.Command) {
	c.Flags().DurationVar(&f.sweepInterval, "sweep-interval", time.Minute, "how often the deadline sweeper runs (on one instance at a time)")
	c.Flags().StringVar(&f.smtp, "smtp", "", "SMTP URL for notices, smtp://USER:PASSWORD@HOST:587 (STARTTLS required; ?tls=none only for a local relay); default $DISSENT_SMTP_URL; none: no e-mail")
	c.Flags().StringVar(&f.mailFrom, "mail-from", "", "sender address of notices (default $DISSENT_MAIL_FROM, or dissent@ the public host)")
	c.Flags().DurationVar(&f.mailEvery, "mail-interval", 10*time.Second, "how often the e-mail outbox is sent")
}

// instanceName names this instance in leases and claims: host, process and
// a random part, unique among instances.
func instanceName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// background owns the instance's background goroutines: the deadline
// sweeper and the e-mail sender. Stop ends them and waits.
type background struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// backgroundConfig is what startBackground needs.
type backgroundConfig struct {
	svc     *dissent.Service
	clock   func() time.Time
	holder  string
	sweep   time.Duration
	mail    *mail.Config // nil: no e-mail
	mailDue time.Duration
	metrics *metrics // nil: none
	log     *slog.Logger
}

// startBackground starts the sweeper and, with a mail configuration, the
// e-mail sender, each in a goroutine that Stop ends.
func startBackground(ctx context.Context, c backgroundConfig) (*background, error) {
	var sender *mail.Sender
	if c.mail != nil {
		var err error
		if sender, err = mail.New(c.svc, *c.mail, c.holder); err != nil {
			return nil, err
		}
		sender.Every, sender.Now, sender.Log = c.mailDue, c.clock, c.log
		if c.metrics != nil {
			sender.Observe = c.metrics.observeMail
		}
	}
	sw := &deadline.Sweeper{Svc: c.svc, Interval: c.sweep, Holder: c.holder, Now: c.clock, Log: c.log}
	if c.metrics != nil {
		sw.Observe = c.metrics.observeSweep
	}
	bctx, cancel := context.WithCancel(ctx)
	b := &background{cancel: cancel}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := sw.Run(bctx); err != nil {
			c.log.Error("sweeper stopped", "err", err)
		}
	}()
	if sender != nil {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			_ = sender.Run(bctx)
		}()
	}
	return b, nil
}

// Stop ends the background work: the sweeper finishes the sweep under way
// and gives up its lease; the sender finishes the batch under way. It
// returns when both have.
func (b *background) Stop() {
	b.cancel()
	b.wg.Wait()
}

// mailConfig reads the e-mail settings from the flags and the environment;
// nil when no SMTP server is configured.
func (f *backgroundFlags) mailConfig(e *env, base string) (*mail.Config, error) {
	u := f.smtp
	if u == "" {
		u = e.getenv("DISSENT_SMTP_URL")
	}
	if u == "" {
		return nil, nil
	}
	from := f.mailFrom
	if from == "" {
		from = e.getenv("DISSENT_MAIL_FROM")
	}
	if from == "" {
		from = "dissent@" + hostOf(base)
	}
	return &mail.Config{URL: u, From: from, BaseURL: base}, nil
}

// hostOf is the host name of a URL, for the default sender address.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return u.Hostname()
}
