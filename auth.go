package dissent

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds sign-in, sessions and API tokens: what the Service knows
// of credentials. The cryptographic ceremonies (WebAuthn, OIDC) run in
// internal/auth, which hands the Service only their verified outcome.
//
// Security properties:
//   - Every credential (bearer token, sign-in link secret, session token) is
//     stored only as its SHA-256; the secrets carry 256 random bits, so a
//     plain hash is enough and a stolen database holds no usable credential.
//   - Every sign-in, failed sign-in, sign-out and first use of a token in an
//     hour is an event, appended in the transaction that acts on it.
//   - A person acts on their own credentials only: a token or passkey id of
//     someone else is NotFound.

// AuthTx is the part of Tx that sign-in and sessions need.
type AuthTx interface {
	// CreateTokenRecord stores a token's hash with its public id and label.
	CreateTokenRecord(ctx context.Context, t TokenRecord) error
	// TokenByHash returns the unrevoked token with this hash and its person.
	TokenByHash(ctx context.Context, hash []byte) (TokenRecord, Person, error)
	// TouchToken sets the token's last use.
	TouchToken(ctx context.Context, hash []byte, at time.Time) error
	// TokensOf lists a person's tokens, revoked ones included, newest first.
	TokensOf(ctx context.Context, person PersonID) ([]TokenRecord, error)
	// RevokeToken revokes the person's unrevoked token with this hash; a
	// token that is not theirs or already revoked is NotFound.
	RevokeToken(ctx context.Context, person PersonID, hash []byte, at time.Time) error

	// FindSession returns the data of the unexpired session with this hash.
	FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, error)
	// PutSession inserts a new session, or with existing updates one that
	// still exists. The store keeps the person only as a salted pseudonym
	// (enough for DeleteSessionsOf), never their id (and does nothing if it was ended meanwhile, so that a
	// request in flight cannot bring back a session that was signed out).
	PutSession(ctx context.Context, hash []byte, person PersonID, data []byte, expiry time.Time, existing bool) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessionsOf ends every session of a person and returns how many.
	DeleteSessionsOf(ctx context.Context, person PersonID) (int, error)
	// PurgeSessions deletes sessions that expired before now.
	PurgeSessions(ctx context.Context, now time.Time) (int, error)

	// WebAuthnHandle returns the person's WebAuthn user handle, or NotFound.
	WebAuthnHandle(ctx context.Context, person PersonID) ([]byte, error)
	SetWebAuthnHandle(ctx context.Context, person PersonID, handle []byte) error
	PersonByWebAuthnHandle(ctx context.Context, handle []byte) (Person, error)
	AddPasskey(ctx context.Context, p Passkey) error
	PasskeysOf(ctx context.Context, person PersonID) ([]Passkey, error)
	// Passkey returns one passkey by credential id.
	Passkey(ctx context.Context, id []byte) (Passkey, error)
	UpdatePasskey(ctx context.Context, id, credential []byte, used time.Time) error
	// RemovePasskey removes the person's passkey; another's is NotFound.
	RemovePasskey(ctx context.Context, person PersonID, id []byte) error

	SetOIDCProvider(ctx context.Context, p OIDCProvider) error
	OIDCProviders(ctx context.Context) ([]OIDCProvider, error)
}

// TokenRecord is an API bearer token as stored: never the token itself.
type TokenRecord struct {
	Hash     []byte
	ID       string // public, shown to the owner; the first 8 bytes of the hash in hex
	PersonID PersonID
	Label    string
	Created  time.Time
	LastUsed time.Time
	Revoked  time.Time
}

// Passkey is a registered WebAuthn credential. Credential is the library's
// public-key record, opaque to the domain; it holds no secret.
type Passkey struct {
	ID         []byte
	PersonID   PersonID
	Name       string
	Credential []byte
	Created    time.Time
	LastUsed   time.Time
}

// OIDCProvider is an organization's identity provider. The client secret
// is never stored: ClientSecretEnv names the environment variable that
// holds it (empty for a public client, which relies on PKCE).
type OIDCProvider struct {
	OrgID           string
	Issuer          string
	ClientID        string
	ClientSecretEnv string
	Created         time.Time
}

// Sign-in methods, as recorded in events.
const (
	MethodLink    = "link"
	MethodPasskey = "passkey"
	MethodOIDC    = "oidc"
	MethodToken   = "token"
)

// MaxTokenLabel bounds a token's label, in characters.
const MaxTokenLabel = 100

// TokenUseInterval is how often the use of one token is recorded: its first
// use in each interval is an event, and its last-used time is kept to it.
const TokenUseInterval = time.Hour

func errBadCredential(code, msg string) *Error {
	return &Error{Kind: KindUnauthenticated, Code: code, Message: msg}
}

func tokenID(hash []byte) string { return hex.EncodeToString(hash[:8]) }

// SessionHash is how a session token is stored.
func SessionHash(token string) []byte {
	h := sha256.Sum256([]byte("dissent session v1\n" + token))
	return h[:]
}

func personDetail(id PersonID) string { return "person " + strconv.FormatInt(int64(id), 10) }

// AuthenticateToken returns the person a bearer token belongs to and
// records the token's first use in each TokenUseInterval. A revoked,
// unknown or malformed token is Unauthenticated; the three are
// indistinguishable.
func (s *Service) AuthenticateToken(ctx context.Context, token Secret, addr string) (Actor, error) {
	bad := errBadCredential("bad_token", "missing or invalid bearer token")
	t := token.Reveal()
	if t == "" || len(t) > 200 || !strings.HasPrefix(t, "dsn_") {
		return Actor{}, bad
	}
	hash := TokenHash(token)
	var rec TokenRecord
	var p Person
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		rec, p, err = tx.TokenByHash(ctx, hash)
		return err
	})
	if ErrorKind(err) == KindNotFound || err == nil && !p.Active() {
		return Actor{}, bad
	}
	if err != nil {
		return Actor{}, err
	}
	now := s.now().UTC()
	if !p.Activated {
		// The first use of any credential makes the account "in use" (an
		// administrator alone may then issue it no credential): written at
		// once, once per person, a flag with no time.
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.MarkActivated(ctx, p.ID) }); err != nil {
			return Actor{}, err
		}
	}
	if rec.LastUsed.IsZero() || now.Sub(rec.LastUsed) >= TokenUseInterval || now.Before(rec.LastUsed) {
		// A token's use is not an event (an entry naming the person a moment
		// before their signature would tell who signed), and not a write
		// on the request's path: it is noted in memory and written with the
		// others by FlushTokenUses.
		s.noteTokenUse(hash, now)
	}
	return Actor{p}, nil
}

// tokenUses are the token uses noted and not yet written.
type tokenUses struct {
	mu sync.Mutex
	m  map[string]time.Time // by token hash
}

func (s *Service) noteTokenUse(hash []byte, at time.Time) {
	s.uses.mu.Lock()
	defer s.uses.mu.Unlock()
	if s.uses.m == nil {
		s.uses.m = map[string]time.Time{}
	}
	s.uses.m[string(hash)] = at
}

// FlushTokenUses writes the token uses noted since the last flush, in one
// transaction (serve calls it every few seconds and when it stops; listing
// tokens calls it first). A token revoked meanwhile is skipped.
func (s *Service) FlushTokenUses(ctx context.Context) error {
	s.uses.mu.Lock()
	m := s.uses.m
	s.uses.m = nil
	s.uses.mu.Unlock()
	if len(m) == 0 {
		return nil
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for h, at := range m {
			if err := tx.TouchToken(ctx, []byte(h), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Keep them for the next flush, unless newer uses were noted.
		s.uses.mu.Lock()
		if s.uses.m == nil {
			s.uses.m = map[string]time.Time{}
		}
		for h, at := range m {
			if _, ok := s.uses.m[h]; !ok {
				s.uses.m[h] = at
			}
		}
		s.uses.mu.Unlock()
	}
	return err
}

// TokenInfo is what the owner sees of a token.
type TokenInfo struct {
	ID       string
	Label    string
	Created  time.Time
	LastUsed time.Time
	Revoked  time.Time
}

func (r TokenRecord) info() TokenInfo {
	return TokenInfo{ID: r.ID, Label: r.Label, Created: r.Created, LastUsed: r.LastUsed, Revoked: r.Revoked}
}

// CreateToken makes a new API token for the actor and returns it; it is
// shown once and stored only as its hash.
func (s *Service) CreateToken(ctx context.Context, a Actor, label string) (TokenInfo, Secret, error) {
	if a.ID == 0 {
		return TokenInfo{}, Secret{}, errForbidden("the command line has no tokens; use `dissent user token`")
	}
	label = strings.TrimSpace(label)
	if err := checkText("label", label, MaxTokenLabel, false, false); err != nil {
		return TokenInfo{}, Secret{}, err
	}
	tok := newToken("dsn_")
	h := TokenHash(tok)
	rec := TokenRecord{Hash: h, ID: tokenID(h), PersonID: a.ID, Label: label, Created: s.now().UTC()}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateTokenRecord(ctx, rec); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: rec.Created, ActorID: a.ID, Kind: "token.created", Detail: "token " + rec.ID}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, a.ID, NoticeTokenCreated, Secret{})
	})
	if err != nil {
		return TokenInfo{}, Secret{}, err
	}
	return rec.info(), tok, nil
}

// Tokens lists the actor's own tokens.
func (s *Service) Tokens(ctx context.Context, a Actor) ([]TokenInfo, error) {
	return s.tokensOf(ctx, func(Tx) (PersonID, error) { return a.ID, nil })
}

// tokensOf lists the tokens of the person owner reads, in the same
// transaction.
func (s *Service) tokensOf(ctx context.Context, owner func(tx Tx) (PersonID, error)) ([]TokenInfo, error) {
	if err := s.FlushTokenUses(ctx); err != nil {
		return nil, err
	}
	var out []TokenInfo
	err := s.store.View(ctx, func(tx Tx) error {
		id, err := owner(tx)
		if err != nil {
			return err
		}
		recs, err := tx.TokensOf(ctx, id)
		for _, r := range recs {
			out = append(out, r.info())
		}
		return err
	})
	return out, err
}

// RevokeToken revokes one of the actor's own tokens by its public id.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id string) error {
	return s.revokeToken(ctx, a, func(Tx) (PersonID, error) { return a.ID, nil }, id)
}

// TokensOf lists a person's tokens for an administrator (the command line).
func (s *Service) TokensOf(ctx context.Context, a Actor, email string) ([]TokenInfo, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return nil, err
	}
	return s.tokensOf(ctx, func(tx Tx) (PersonID, error) {
		p, err := personByEmail(ctx, tx, email)
		return p.ID, err
	})
}

// RevokeTokenOf revokes a person's token for an administrator.
func (s *Service) RevokeTokenOf(ctx context.Context, a Actor, email, id string) error {
	if err := permit(a, ActManageCredentials); err != nil {
		return err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	return s.revokeToken(ctx, a, func(tx Tx) (PersonID, error) {
		p, err := personByEmail(ctx, tx, email)
		return p.ID, err
	}, id)
}

// revokeToken revokes the token id of the person owner reads, in the same
// transaction.
func (s *Service) revokeToken(ctx context.Context, a Actor, find func(tx Tx) (PersonID, error), id string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) != 16 {
		return ErrNotFound("token")
	}
	if _, err := hex.DecodeString(id); err != nil {
		return ErrNotFound("token")
	}
	return s.store.Update(ctx, func(tx Tx) error {
		owner, err := find(tx)
		if err != nil {
			return err
		}
		recs, err := tx.TokensOf(ctx, owner)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.ID != id || !r.Revoked.IsZero() {
				continue
			}
			now := s.now().UTC()
			if err := tx.RevokeToken(ctx, owner, r.Hash, now); err != nil {
				return err
			}
			return tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, Kind: "token.revoked", Detail: "token " + id + " of " + personDetail(owner)})
		}
		return ErrNotFound("token")
	})
}

// --- sessions ---

// Sessions persist the server-side sessions of internal/auth. Their tokens
// are hashed here, so no caller can store one in clear. Session expiry
// counts in real time (now is passed by the caller), never on the
// DISSENT_NOW clock.

// FindSession returns a session's data; found is false for an unknown or
// expired session.
func (s *Service) FindSession(ctx context.Context, token string, now time.Time) (data []byte, found bool, err error) {
	err = s.store.View(ctx, func(tx Tx) error {
		sealed, err := tx.FindSession(ctx, SessionHash(token), now)
		if err != nil {
			return err
		}
		data, err = openSession(token, sealed)
		return err
	})
	if ErrorKind(err) == KindNotFound {
		return nil, false, nil
	}
	return data, err == nil, err
}

// A session's body (who is signed in, since when, how) is sealed under a
// key derived from the cookie's token, which the database never holds: a
// stolen database file reads no session. AES-256-GCM, random nonce; the
// key is SHA-256 of a domain separator and the token.
func sessionAEAD(token string) (cipher.AEAD, error) {
	k := sha256.Sum256([]byte("dissent session key v1\n" + token))
	b, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func sealSession(token string, data []byte) ([]byte, error) {
	a, err := sessionAEAD(token)
	if err != nil {
		return nil, fmt.Errorf("seal session: %w", err)
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(data)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal session: %w", err)
	}
	return a.Seal(nonce, nonce, data, []byte("dissent session")), nil
}

// openSession opens a session's body; one that does not open (not sealed
// under this token) is no session.
func openSession(token string, sealed []byte) ([]byte, error) {
	a, err := sessionAEAD(token)
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	if len(sealed) < a.NonceSize()+a.Overhead() {
		return nil, ErrNotFound("session")
	}
	data, err := a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte("dissent session"))
	if err != nil {
		return nil, ErrNotFound("session")
	}
	return data, nil
}

// CommitSession stores a session's data for the person signed in to it (0
// for none) until expiry. existing says the token was loaded from the store
// by this request: such a session is only updated, never recreated, so that
// a request still in flight when its session was signed out cannot bring it
// back.
func (s *Service) CommitSession(ctx context.Context, token string, person PersonID, data []byte, expiry time.Time, existing bool) error {
	sealed, err := sealSession(token, data)
	if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		return tx.PutSession(ctx, SessionHash(token), person, sealed, expiry, existing)
	})
}

// DeleteSession ends one session.
func (s *Service) DeleteSession(ctx context.Context, token string) error {
	return s.store.Update(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, SessionHash(token)) })
}

// PurgeSessions deletes expired sessions and returns how many.
func (s *Service) PurgeSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		n, err = tx.PurgeSessions(ctx, now)
		return err
	})
	return n, err
}

// SessionActor returns the person signed in to a session.
func (s *Service) SessionActor(ctx context.Context, id PersonID) (Actor, error) {
	a, _, err := s.sessionActor(ctx, id, false)
	return a, err
}

// SessionActorUnread is SessionActor that also counts the person's unread
// notifications (UnreadNotifications), in the same read transaction: a
// page shows the count in its navigation, and counting it in a
// transaction of its own cost every page one more (issue 17).
func (s *Service) SessionActorUnread(ctx context.Context, id PersonID) (Actor, int, error) {
	return s.sessionActor(ctx, id, true)
}

func (s *Service) sessionActor(ctx context.Context, id PersonID, unread bool) (Actor, int, error) {
	var p Person
	var n int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Person(ctx, id); err != nil || !unread || !p.Active() {
			return err
		}
		n, err = tx.CountUnread(ctx, id)
		return err
	})
	if ErrorKind(err) == KindNotFound || err == nil && !p.Active() {
		return Actor{}, 0, errBadCredential("signed_out", "your session has ended; sign in again")
	}
	if err != nil {
		return Actor{}, 0, err
	}
	return Actor{p}, n, nil
}

// SignOut records that the actor signed out; with everywhere, it also ends
// every session of theirs (on every device).
func (s *Service) SignOut(ctx context.Context, a Actor, everywhere bool, addr string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		kind := "signout"
		if everywhere {
			n, err := tx.DeleteSessionsOf(ctx, a.ID)
			if err != nil {
				return err
			}
			kind = "signout.everywhere"
			addr += " (" + strconv.Itoa(n) + " sessions)"
		}
		// Anonymous, like sign-ins: no actor, no address.
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), Kind: kind})
	})
}

// RecordFailedSignIn appends a failed sign-in to the audit trail. The
// caller rate-limits failures per address before they reach here.
func (s *Service) RecordFailedSignIn(ctx context.Context, method, reason, addr string) error {
	return s.store.Update(ctx, func(tx Tx) error {
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), Kind: "signin.failed", Detail: method + ": " + reason})
	})
}

// signedIn refuses a deactivated person and records a sign-in without its
// person or address: the log's auditors see that someone signed in, by
// which method, and nobody can place a participant's sign-in next to their
// act on a message. Who signed in, and when, stays in the person's own
// sessions, not in the log. The person's account becomes "in use".
func (s *Service) signedIn(ctx context.Context, tx Tx, p Person, method, addr string) error {
	_ = addr
	if !p.Active() {
		return errDeactivated()
	}
	if !p.Activated {
		if err := tx.MarkActivated(ctx, p.ID); err != nil {
			return err
		}
	}
	return tx.AppendEvent(ctx, Event{At: s.now().UTC(), Kind: "signin." + method})
}

// SignInWithLink spends a one-time sign-in link and returns its person, for
// a browser session. A used, expired or unknown link is Unauthenticated,
// and the three are indistinguishable.
func (s *Service) SignInWithLink(ctx context.Context, secret Secret, addr string) (Actor, error) {
	bad := errBadCredential("bad_link", "this sign-in link is invalid, used or expired; ask your administrator for a new one")
	if !strings.HasPrefix(secret.Reveal(), "dsl_") || len(secret.Reveal()) > 200 {
		return Actor{}, bad
	}
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		id, err := tx.UseSignInLink(ctx, TokenHash(secret), s.now().UTC())
		if ErrorKind(err) == KindNotFound {
			return bad
		}
		if err != nil {
			return err
		}
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		return s.signedIn(ctx, tx, p, MethodLink, addr)
	})
	if err != nil {
		return Actor{}, err
	}
	return Actor{p}, nil
}

// --- passkeys ---

// WebAuthnUser is what a WebAuthn ceremony needs of a person.
type WebAuthnUser struct {
	Person   Person
	Handle   []byte
	Passkeys []Passkey
}

// WebAuthnUser returns the actor's WebAuthn handle (made on first use: 32
// random bytes, never their id or e-mail) and passkeys.
func (s *Service) WebAuthnUser(ctx context.Context, a Actor) (WebAuthnUser, error) {
	u := WebAuthnUser{Person: a.Person}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if u.Handle, err = tx.WebAuthnHandle(ctx, a.ID); err != nil {
			return err
		}
		u.Passkeys, err = tx.PasskeysOf(ctx, a.ID)
		return err
	})
	if ErrorKind(err) != KindNotFound {
		return u, err
	}
	h := make([]byte, 32)
	if _, err := rand.Read(h); err != nil {
		return u, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if old, err := tx.WebAuthnHandle(ctx, a.ID); err == nil {
			h = old
			return nil
		}
		return tx.SetWebAuthnHandle(ctx, a.ID, h)
	})
	u.Handle = h
	return u, err
}

// WebAuthnUserByHandle returns the person a passkey's user handle names.
func (s *Service) WebAuthnUserByHandle(ctx context.Context, handle []byte) (WebAuthnUser, error) {
	var u WebAuthnUser
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if u.Person, err = tx.PersonByWebAuthnHandle(ctx, handle); err != nil {
			return err
		}
		u.Handle = handle
		u.Passkeys, err = tx.PasskeysOf(ctx, u.Person.ID)
		return err
	})
	return u, err
}

// MaxPasskeyName bounds a passkey's name; MaxPasskeys bounds how many one
// person may hold.
const (
	MaxPasskeyName = 100
	MaxPasskeys    = 20
)

// AddPasskey stores a passkey the actor has just registered.
func (s *Service) AddPasskey(ctx context.Context, a Actor, p Passkey) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		p.Name = "passkey"
	}
	if err := checkLabel("name", p.Name, MaxPasskeyName, false); err != nil {
		return err
	}
	p.PersonID, p.Created = a.ID, s.now().UTC()
	return s.store.Update(ctx, func(tx Tx) error {
		have, err := tx.PasskeysOf(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(have) >= MaxPasskeys {
			return &Error{Kind: KindInvalid, Code: "too_many", Field: "passkeys", Limit: MaxPasskeys, Message: "a person may hold at most " + strconv.Itoa(MaxPasskeys) + " passkeys"}
		}
		if err := tx.AddPasskey(ctx, p); err != nil {
			return ifDuplicate(err, "passkey", "this passkey is already registered")
		}
		if err := tx.AppendEvent(ctx, Event{At: p.Created, ActorID: a.ID, Kind: "passkey.added", Detail: personDetail(a.ID)}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, a.ID, NoticePasskeyAdded, Secret{})
	})
}

// Passkeys lists the actor's passkeys.
func (s *Service) Passkeys(ctx context.Context, a Actor) ([]Passkey, error) {
	var out []Passkey
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.PasskeysOf(ctx, a.ID)
		return err
	})
	return out, err
}

// RemovePasskey removes one of the actor's passkeys.
func (s *Service) RemovePasskey(ctx context.Context, a Actor, id []byte) error {
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.RemovePasskey(ctx, a.ID, id); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, Kind: "passkey.removed", Detail: personDetail(a.ID)})
	})
}

// SignInWithPasskey completes a passkey sign-in that internal/auth has
// verified: credential is the updated record (its signature counter moved
// on). The passkey must still exist and belong to the person of the handle.
func (s *Service) SignInWithPasskey(ctx context.Context, handle, id, credential []byte, addr string) (Actor, error) {
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		pk, err := tx.Passkey(ctx, id)
		if err != nil {
			return errBadCredential("bad_passkey", "this passkey is not registered")
		}
		if p, err = tx.PersonByWebAuthnHandle(ctx, handle); err != nil || p.ID != pk.PersonID {
			return errBadCredential("bad_passkey", "this passkey is not registered")
		}
		if !bytes.Equal(pk.ID, id) {
			return errBadCredential("bad_passkey", "this passkey is not registered")
		}
		if err := tx.UpdatePasskey(ctx, id, credential, s.now().UTC()); err != nil {
			return err
		}
		return s.signedIn(ctx, tx, p, MethodPasskey, addr)
	})
	if err != nil {
		return Actor{}, err
	}
	return Actor{p}, nil
}

// --- OIDC ---

// SetOIDCProvider configures an organization's identity provider.
func (s *Service) SetOIDCProvider(ctx context.Context, a Actor, p OIDCProvider) error {
	if err := permit(a, ActManageDirectory); err != nil {
		return err
	}
	if !strings.HasPrefix(p.Issuer, "https://") && !strings.HasPrefix(p.Issuer, "http://localhost") && !strings.HasPrefix(p.Issuer, "http://127.0.0.1") {
		return errInvalid("issuer", "insecure_issuer", "the issuer must be an https:// URL")
	}
	if err := checkText("issuer", p.Issuer, 500, false, true); err != nil {
		return err
	}
	if err := checkText("client_id", p.ClientID, 500, false, true); err != nil {
		return err
	}
	for _, r := range p.ClientSecretEnv {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return errInvalid("client_secret_env", "bad_name", "name an environment variable (A-Z, 0-9, _), not the secret itself")
		}
	}
	p.Created = s.now().UTC()
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Org(ctx, p.OrgID); err != nil {
			return errInvalid("org", "unknown_org", "no organization %q", p.OrgID)
		}
		if err := tx.SetOIDCProvider(ctx, p); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: p.Created, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "oidc.configured", Detail: p.OrgID})
	})
}

// OIDCProviders lists the configured identity providers.
func (s *Service) OIDCProviders(ctx context.Context) ([]OIDCProvider, error) {
	var out []OIDCProvider
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.OIDCProviders(ctx)
		return err
	})
	return out, err
}

// OIDCIdentity is what a verified ID token says of its subject.
type OIDCIdentity struct {
	OrgID         string
	Email         string
	EmailVerified bool
}

// SignInWithOIDC completes a single sign-on that internal/auth has verified
// (issuer, audience, expiry, signature, nonce): the person is matched by
// verified e-mail to the directory, within the provider's organization.
func (s *Service) SignInWithOIDC(ctx context.Context, id OIDCIdentity, addr string) (Actor, error) {
	bad := errBadCredential("sso_refused", "single sign-on did not identify a person of this organization in Dissent; ask your administrator")
	if !id.EmailVerified {
		return Actor{}, errBadCredential("sso_unverified", "your identity provider has not verified your e-mail address")
	}
	email, err := NormalizeEmail("email", id.Email)
	if err != nil {
		return Actor{}, bad
	}
	var p Person
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.PersonByEmail(ctx, email); err != nil || p.OrgID != id.OrgID {
			return bad
		}
		return s.signedIn(ctx, tx, p, MethodOIDC, addr)
	})
	if err != nil {
		return Actor{}, err
	}
	return Actor{p}, nil
}
