package web

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a token bucket's refill rate and capacity.
type Rate struct {
	Every time.Duration // one token comes back every Every
	Burst int           // the bucket holds at most Burst tokens
}

// Limits are the rate limits; a zero Rate takes its default.
type Limits struct {
	// SignInPerAddress bounds sign-in attempts (links, passkeys, single
	// sign-on) from one client address.
	SignInPerAddress Rate
	// FailuresPerAddress bounds failed credentials (a bad bearer token,
	// link, passkey or single sign-on) from one address; once spent, every
	// credential from that address is refused with 429 until it refills, so
	// that guessing gets no answer.
	FailuresPerAddress Rate
	// RequestsPerPerson bounds the authenticated requests of one person.
	RequestsPerPerson Rate
	// WritesPerPerson bounds one person's state-changing requests.
	WritesPerPerson Rate
	// LinkMailsPerAddress bounds the "E-mail me a sign-in link" requests
	// from one client address (past it: 429, whatever the e-mail address).
	LinkMailsPerAddress Rate
	// LinkMailsPerEmail bounds the links e-mailed to one e-mail address
	// (past it the request gets the same answer and nothing is sent, so that
	// the limit tells nobody whether the address belongs to a person).
	LinkMailsPerEmail Rate
}

// DefaultLimits suit people at keyboards and scripts that co-sign in bulk.
var DefaultLimits = Limits{
	SignInPerAddress:   Rate{Every: 3 * time.Second, Burst: 30},
	FailuresPerAddress: Rate{Every: 30 * time.Second, Burst: 10},
	RequestsPerPerson:  Rate{Every: 20 * time.Millisecond, Burst: 600},
	WritesPerPerson:    Rate{Every: 200 * time.Millisecond, Burst: 300},
	// An office behind one address (a government's egress) may have many
	// people asking at the start of a day: 20 at once, then one per 30 s.
	LinkMailsPerAddress: Rate{Every: 30 * time.Second, Burst: 20},
	// A person who mistypes, or whose mail is slow: 3 at once, then one
	// per 10 min.
	LinkMailsPerEmail: Rate{Every: 10 * time.Minute, Burst: 3},
}

func (l Limits) withDefaults() Limits {
	set := func(r *Rate, d Rate) {
		if r.Every <= 0 || r.Burst <= 0 {
			*r = d
		}
	}
	set(&l.SignInPerAddress, DefaultLimits.SignInPerAddress)
	set(&l.FailuresPerAddress, DefaultLimits.FailuresPerAddress)
	set(&l.RequestsPerPerson, DefaultLimits.RequestsPerPerson)
	set(&l.WritesPerPerson, DefaultLimits.WritesPerPerson)
	set(&l.LinkMailsPerAddress, DefaultLimits.LinkMailsPerAddress)
	set(&l.LinkMailsPerEmail, DefaultLimits.LinkMailsPerEmail)
	return l
}

// limiter is a set of token buckets by key, in memory. Several instances
// behind a load balancer each keep their own: the limits then hold per
// instance.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the memory an attacker with many addresses can make us
// spend; past it, full buckets are forgotten.
const maxBuckets = 100_000

func newLimiter(r Rate, now func() time.Time) *limiter {
	return &limiter{rate: r, now: now, buckets: map[string]*bucket{}}
}

func (l *limiter) refill(key string) *bucket {
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
		return b
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+float64(el)/float64(l.rate.Every))
		b.at = now
	}
	return b
}

func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+float64(now.Sub(b.at))/float64(l.rate.Every) >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
}

// take spends a token; when none is left it reports how long until one is.
func (l *limiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}

// check reports whether a token is left without spending it.
func (l *limiter) check(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if b.tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.rate.Every))
}

// retryAfter sets the Retry-After header in whole seconds, rounded up.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}

// clientAddr is the address a request came from: the peer, or, when the
// peer is a trusted proxy, the rightmost address in X-Forwarded-For that is
// not one of the trusted proxies. Addresses from untrusted peers' headers
// are ignored, so a client cannot choose its own rate-limit key.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

// addrKey groups IPv6 clients by /64, since one host holds a whole /64.
func addrKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is4() {
		return addr
	}
	p, _ := a.Prefix(64)
	return p.String()
}
