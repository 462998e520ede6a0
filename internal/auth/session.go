package auth

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/dissent-channel/dissent"
)

// Session keys.
const (
	keyPerson   = "person"    // int64: the signed-in person
	keySignedIn = "signed_in" // int64: when they signed in, Unix seconds
	keyMethod   = "method"    // string: how
)

// SessionConfig configures sessions.
type SessionConfig struct {
	// IdleTimeout ends a session after this long without a request.
	IdleTimeout time.Duration
	// Lifetime ends a session this long after it began, whatever its use.
	Lifetime time.Duration
	// Secure marks the cookie Secure and names it with the __Host- prefix;
	// set it whenever the public URL is https.
	Secure bool
	// Now is the real clock that sessions expire by (default time.Now).
	Now func() time.Time
}

// Default session timeouts.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultLifetime    = 12 * time.Hour
)

// Sessions is the session manager: scs with a store in our database.
type Sessions struct {
	*scs.SessionManager
	svc *dissent.Service
}

// NewSessions returns the session manager over svc's store.
func NewSessions(svc *dissent.Service, c SessionConfig) *Sessions {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Lifetime <= 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	m := scs.New()
	m.IdleTimeout = c.IdleTimeout
	m.Lifetime = c.Lifetime
	m.Store = &dbStore{svc: svc, codec: m.Codec, now: c.Now}
	m.Cookie.HttpOnly = true
	m.Cookie.SameSite = http.SameSiteLaxMode // Lax: the single sign-on callback is a cross-site top-level GET
	m.Cookie.Path = "/"
	m.Cookie.Persist = false // a browser session cookie; the server enforces the timeouts
	m.Cookie.Secure = c.Secure
	m.Cookie.Name = "dissent_session"
	if c.Secure {
		m.Cookie.Name = "__Host-dissent_session"
	}
	return &Sessions{SessionManager: m, svc: svc}
}

// CookieName is the session cookie's name.
func (s *Sessions) CookieName() string { return s.Cookie.Name }

// SignIn binds the request's session to a person, under a new token: the
// token the browser had before (perhaps planted by an attacker) no longer
// names any session.
func (s *Sessions) SignIn(ctx context.Context, a dissent.Actor, method string) error {
	if err := s.RenewToken(ctx); err != nil {
		return err
	}
	s.Put(ctx, keyPerson, int64(a.ID))
	s.Put(ctx, keySignedIn, time.Now().Unix())
	s.Put(ctx, keyMethod, method)
	return nil
}

// SignOut ends the request's session.
func (s *Sessions) SignOut(ctx context.Context) error { return s.Destroy(ctx) }

// PersonID returns the person signed in to the request's session, or 0.
func (s *Sessions) PersonID(ctx context.Context) dissent.PersonID {
	return dissent.PersonID(s.GetInt64(ctx, keyPerson))
}

// Method returns how the session's person signed in.
func (s *Sessions) Method(ctx context.Context) string { return s.GetString(ctx, keyMethod) }

// loadedKey marks, in a request's context, the session token its store
// loaded, so that commits of a loaded session only update it, and what was
// loaded, so that a commit that would change nothing but move the idle
// expiry by less than renewAfter writes nothing.
type loadedKey struct{}

type loaded struct {
	token    string
	deadline time.Time      // the session's lifetime deadline, as loaded
	values   map[string]any // its values, as loaded
	expiry   time.Time      // its expiry, as stored
}

// renewAfter is how far the idle expiry must move before a request that
// changes nothing else writes the session: scs moves it on every request, and
// a write on every page view costs a write transaction (on SQLite, the one
// writer) for no change a minute would notice. A session may so end up to
// renewAfter sooner than its idle timeout after its last request.
const renewAfter = time.Minute

// Middleware loads and saves the session of each request.
func (s *Sessions) Middleware(next http.Handler) http.Handler {
	inner := s.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := &loaded{}
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadedKey{}, l)))
	})
}

// dbStore is scs's store over the Service. The Service hashes the tokens.
type dbStore struct {
	svc   *dissent.Service
	codec scs.Codec
	now   func() time.Time
}

func (d *dbStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	if len(token) > 100 || strings.TrimSpace(token) == "" {
		return nil, false, nil
	}
	b, expiry, found, err := d.svc.FindSession(ctx, token, d.now())
	if found {
		if l, ok := ctx.Value(loadedKey{}).(*loaded); ok {
			l.token, l.expiry = token, expiry
			if deadline, values, err := d.codec.Decode(b); err == nil {
				l.deadline, l.values = deadline, values
			}
		}
	}
	return b, found, err
}

func (d *dbStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	var person dissent.PersonID
	deadline, values, err := d.codec.Decode(b)
	if err == nil {
		if v, ok := values[keyPerson].(int64); ok {
			person = dissent.PersonID(v)
		}
	}
	l, _ := ctx.Value(loadedKey{}).(*loaded)
	existing := l != nil && l.token == token
	if existing && err == nil && l.values != nil && deadline.Equal(l.deadline) && reflect.DeepEqual(values, l.values) &&
		expiry.Sub(l.expiry).Abs() < renewAfter {
		return nil // nothing changed but the idle expiry, by less than renewAfter
	}
	return d.svc.CommitSession(ctx, token, person, b, expiry, existing)
}

func (d *dbStore) DeleteCtx(ctx context.Context, token string) error {
	return d.svc.DeleteSession(ctx, token)
}

func (d *dbStore) Find(token string) ([]byte, bool, error) {
	return d.FindCtx(context.Background(), token)
}

func (d *dbStore) Commit(token string, b []byte, expiry time.Time) error {
	return d.CommitCtx(context.Background(), token, b, expiry)
}

func (d *dbStore) Delete(token string) error { return d.DeleteCtx(context.Background(), token) }
