package dissent

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds sign-in: one-time links, sessions, passkeys and OIDC,
// and the rules for who may issue a credential for whom. The cryptographic
// ceremonies (WebAuthn, OIDC) run in internal/auth, which hands the Service
// only their verified outcome.
//
// Security properties (no single administrator can act as another person):
//   - Every credential (bearer token, sign-in link secret, session token) is
//     stored only as its SHA-256; the secrets carry 256 random bits, so a
//     plain hash is enough and a stolen database holds no usable credential.
//   - An administrator on the web may issue a first sign-in link only to an
//     account that has never signed in or used a token (Person.Activated).
//     When the deployment sends e-mail, the link goes to the person by
//     e-mail and is never shown to the administrator.
//   - Every later credential comes from the person themself (passkeys,
//     tokens on their account page, a link e-mailed to their own address),
//     or from two administrators: one asks (RequestSignInLink), another
//     approves (ApproveSignInLink), and only then is a link issued, e-mailed
//     to the person.
//   - Each guard runs in the transaction that issues the credential, so no
//     sign-in can slip between the check and the issue.
//   - Every credential issued for a person is an account notice to them (on
//     their account page and by e-mail) and is listed on their account page.
//   - A person acts on their own credentials only: a token or passkey id of
//     someone else is NotFound.
//   - Sign-ins and sign-outs are log entries that name no one.
//
// Sessions persist the server-side sessions of internal/auth. Their tokens
// are hashed here, so no caller can store one in clear. Session expiry
// counts in real time (now is passed by the caller), never on the
// DISSENT_NOW clock.

// SessionHash is how a session token is stored.
func SessionHash(token string) []byte {
	h := sha256.Sum256([]byte("dissent session v1\n" + token))
	return h[:]
}

// FindSession returns a session's data and when it expires as stored;
// found is false for an unknown or expired session.
func (s *Service) FindSession(ctx context.Context, token string, now time.Time) (data []byte, expiry time.Time, found bool, err error) {
	err = s.store.View(ctx, func(tx Tx) error {
		sealed, exp, err := tx.FindSession(ctx, SessionHash(token), now)
		if err != nil {
			return err
		}
		expiry = exp
		data, err = openSession(token, sealed)
		return err
	})
	if ErrorKind(err) == KindNotFound {
		return nil, time.Time{}, false, nil
	}
	return data, expiry, err == nil, err
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
	return Actor{Person: p}, n, nil
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
	return Actor{Person: p}, nil
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
	return Actor{Person: p}, nil
}

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
	return Actor{Person: p}, nil
}

// IssueSignInLink is IssueSignInLinkFor by e-mail (the command line). The
// secret is returned only when it may be shown to the issuer.
func (s *Service) IssueSignInLink(ctx context.Context, actor Actor, email string) (Secret, error) {
	if err := permit(actor, ActManageCredentials); err != nil {
		return Secret{}, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	li, err := s.issueFirstLink(ctx, actor, func(tx Tx) (Person, error) { return personByEmail(ctx, tx, email) })
	return li.Secret, err
}

// RedeemSignInLink spends a one-time sign-in secret and returns a fresh
// bearer token for its person. A used, expired or unknown secret is
// Unauthenticated, and the three are indistinguishable.
func (s *Service) RedeemSignInLink(ctx context.Context, secret Secret) (Actor, Secret, error) {
	bad := &Error{Kind: KindUnauthenticated, Code: "bad_link", Message: "this sign-in link is invalid, used or expired; ask your administrator for a new one"}
	if !strings.HasPrefix(secret.Reveal(), "dsl_") || len(secret.Reveal()) > 200 {
		return Actor{}, Secret{}, bad
	}
	tok := newToken("dsn_")
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		id, err := tx.UseSignInLink(ctx, TokenHash(secret), now)
		if err != nil {
			if ErrorKind(err) == KindNotFound {
				return bad
			}
			return err
		}
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		if !p.Active() {
			return bad
		}
		if err := tx.MarkActivated(ctx, id); err != nil {
			return err
		}
		if err := tx.CreateToken(ctx, id, TokenHash(tok), now); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, Kind: "signin.link"})
	})
	if err != nil {
		return Actor{}, Secret{}, err
	}
	return Actor{Person: p}, tok, nil
}

// issueLink issues a sign-in link for p in tx and tells them. by says who
// issued it. The link goes by e-mail when the deployment sends e-mail and
// the issuer is not the command line (which prints it to the operator).
func (s *Service) issueLink(ctx context.Context, tx Tx, a Actor, p Person, by string) (LinkIssue, error) {
	if !p.Active() {
		return LinkIssue{}, errRefused("deactivated", "the account of "+p.Email+" is deactivated; reactivate it first")
	}
	sec := newToken("dsl_")
	now := s.now().UTC()
	expires := now.Add(SignInLinkTTL)
	ev := Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "signin_link.issued", Detail: personDetail(p.ID) + " by " + by}
	if by == IssuedBySelf {
		if !s.mail {
			return LinkIssue{}, errForbidden("this deployment sends no e-mail, so it cannot send a sign-in link")
		}
		// The person's own act: its expiry keeps only the hour (the link
		// works 24 to 25 hours), and the audit trail's entry names no one,
		// like a sign-in's.
		expires = now.Truncate(time.Hour).Add(SignInLinkTTL + time.Hour)
		ev = Event{At: now, Kind: "signin_link.requested"}
	}
	if err := tx.CreateSignInLinkBy(ctx, SignInLinkRecord{Hash: TokenHash(sec), PersonID: p.ID, IssuedBy: by, Issued: day(now), Expires: expires}); err != nil {
		return LinkIssue{}, err
	}
	if err := tx.AppendEvent(ctx, ev); err != nil {
		return LinkIssue{}, err
	}
	if s.mail && by != IssuedByOperator {
		return LinkIssue{Mailed: true}, s.noticeAccount(ctx, tx, p.ID, NoticeLinkMailed, sec)
	}
	return LinkIssue{Secret: sec}, s.noticeAccount(ctx, tx, p.ID, NoticeLinkIssued, Secret{})
}

// IssueSignInLinkFor issues a first sign-in link for a person, for an
// administrator's pages: only to an account that has never signed in or
// used a token. Later links need a second administrator
// (RequestSignInLink). The command line (System) may always issue one.
func (s *Service) IssueSignInLinkFor(ctx context.Context, a Actor, id PersonID) (LinkIssue, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return LinkIssue{}, err
	}
	return s.issueFirstLink(ctx, a, func(tx Tx) (Person, error) { return tx.Person(ctx, id) })
}

// issueFirstLink is IssueSignInLinkFor for the person find reads, in the
// transaction that checks the credential guard and issues the link.
func (s *Service) issueFirstLink(ctx context.Context, a Actor, find func(tx Tx) (Person, error)) (LinkIssue, error) {
	var out LinkIssue
	err := s.store.Update(ctx, func(tx Tx) error {
		p, err := find(tx)
		if err != nil {
			return err
		}
		by := IssuedByOperator
		if a.ID != 0 {
			if p.Activated {
				return errRefused("signed_in_before", "the account of "+p.Email+" is in use (they have signed in or used a token), so one administrator alone may not issue them a sign-in link: they add their own passkeys and tokens, or a second administrator approves a request for a new link")
			}
			by = IssuedByAdmin
		}
		out, err = s.issueLink(ctx, tx, a, p, by)
		return err
	})
	return out, err
}

// MailSignInLink e-mails a one-time sign-in link to the person whose
// address this is, for the sign-in page's "E-mail me a sign-in link": the
// one way a person gets a link without an administrator. It answers the
// same (nil) whether or not it sent one, so that a caller can tell nobody
// whether an address belongs to a person; only a malformed address or an
// internal error is an error. Deny by default: nothing is sent when
//   - the deployment sends no e-mail (the link could reach nobody else);
//   - no person has this address, or the person is deactivated;
//   - an administrator changed the person's address and the person has not
//     acted on their account since (added a passkey or created a token):
//     otherwise one administrator could point someone's address at a
//     mailbox of theirs and sign in as them (see selfLinkAllowed).
//
// The link is issued by issueLink, like every other, and goes out through
// the account notices' e-mail (the outbox): the secret is sealed until it
// is sent, then erased. The audit trail gets an entry naming no one.
func (s *Service) MailSignInLink(ctx context.Context, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	if !s.mail {
		return nil
	}
	return s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.PersonByEmail(ctx, email)
		if ErrorKind(err) == KindNotFound {
			return nil
		}
		if err != nil || !p.Active() {
			return err
		}
		if ok, err := selfLinkAllowed(ctx, tx, p.ID); err != nil || !ok {
			return err
		}
		_, err = s.issueLink(ctx, tx, Actor{Person: p}, p, IssuedBySelf)
		return err
	})
}

// SendsMail reports whether the deployment sends e-mail (and so whether the
// sign-in page offers to e-mail a link).
func (s *Service) SendsMail() bool { return s.mail }

// selfLinkAllowed reports whether a link may be e-mailed to the person on
// their own request: not while the newest change of their address by an
// administrator is newer than the person's newest act on their own account
// (a passkey added, a token created). Their newest notices decide; when
// the page of them holds neither, it is refused (deny by default: a page of
// notices made on purpose cannot push an address change out of sight).
func selfLinkAllowed(ctx context.Context, tx Tx, id PersonID) (bool, error) {
	ns, err := tx.AccountNotices(ctx, id, maxAccountNoticePage)
	if err != nil {
		return false, err
	}
	for _, n := range ns {
		switch n.Kind {
		case NoticePasskeyAdded, NoticeTokenCreated:
			return true, nil
		case NoticeEmailChanged:
			return false, nil
		}
	}
	return len(ns) < maxAccountNoticePage, nil
}

// RequestSignInLink asks for a new sign-in link for a person who has signed
// in before (who lost their passkey, say). Nothing is issued until another
// administrator approves. The person is told at once.
func (s *Service) RequestSignInLink(ctx context.Context, a Actor, id PersonID) (CredentialRequest, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return CredentialRequest{}, err
	}
	if a.ID == 0 {
		return CredentialRequest{}, errForbidden("the command line issues links itself: use `dissent user invite`")
	}
	r := CredentialRequest{PersonID: id, RequestedBy: a.ID, Requested: day(s.now())}
	err := s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		if !p.Active() {
			return errRefused("deactivated", "the account of "+p.Email+" is deactivated; reactivate it first")
		}
		open, err := tx.CredentialRequestsOf(ctx, id)
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.Open() {
				return errConflict("request_open", "a request for a sign-in link for %s already awaits a second administrator", p.Email)
			}
		}
		if r.ID, err = tx.AddCredentialRequest(ctx, r); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "credential.requested", Detail: personDetail(id) + " request " + strconv.FormatInt(r.ID, 10)}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, id, NoticeLinkRequested, Secret{})
	})
	return r, err
}

// ApproveSignInLink approves another administrator's request and issues the
// link in the same transaction. The approver must not be the requester.
func (s *Service) ApproveSignInLink(ctx context.Context, a Actor, request int64) (LinkIssue, error) {
	return s.decide(ctx, a, request, true)
}

// CancelSignInLink closes a request without issuing anything; any
// administrator, the requester included, may cancel.
func (s *Service) CancelSignInLink(ctx context.Context, a Actor, request int64) error {
	_, err := s.decide(ctx, a, request, false)
	return err
}

func (s *Service) decide(ctx context.Context, a Actor, request int64, approve bool) (LinkIssue, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return LinkIssue{}, err
	}
	var out LinkIssue
	err := s.store.Update(ctx, func(tx Tx) error {
		r, err := tx.CredentialRequest(ctx, request)
		if err != nil {
			return err
		}
		if !r.Open() {
			return errConflict("decided", "this request was already decided")
		}
		if approve && (a.ID == r.RequestedBy || a.ID == 0) {
			return errRefused("same_admin", "a second administrator must approve this request; the one who asked cannot")
		}
		if err := tx.DecideCredentialRequest(ctx, r.ID, a.ID, day(s.now()), approve); err != nil {
			return err
		}
		kind := "credential.cancelled"
		if approve {
			kind = "credential.approved"
		}
		if err := tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: kind, Detail: personDetail(r.PersonID) + " request " + strconv.FormatInt(r.ID, 10)}); err != nil {
			return err
		}
		if !approve {
			return nil
		}
		p, err := tx.Person(ctx, r.PersonID)
		if err != nil {
			return err
		}
		out, err = s.issueLink(ctx, tx, a, p, IssuedByAdmins)
		return err
	})
	return out, err
}

// CredentialRequests lists a person's requests for an administrator.
func (s *Service) CredentialRequests(ctx context.Context, a Actor, id PersonID) ([]CredentialRequest, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return nil, err
	}
	var out []CredentialRequest
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.CredentialRequestsOf(ctx, id)
		return err
	})
	return out, err
}

// PendingRequests lists the requests awaiting a second administrator.
func (s *Service) PendingRequests(ctx context.Context, a Actor) ([]PendingRequest, error) {
	if err := permit(a, ActManageCredentials); err != nil {
		return nil, err
	}
	var out []PendingRequest
	err := s.store.View(ctx, func(tx Tx) error {
		rs, err := tx.OpenCredentialRequests(ctx, MaxPageSize)
		if err != nil {
			return err
		}
		for _, r := range rs {
			p, err := tx.Person(ctx, r.PersonID)
			if err != nil {
				return err
			}
			out = append(out, PendingRequest{CredentialRequest: r, Email: p.Email})
		}
		return nil
	})
	return out, err
}

// Open reports whether the request awaits a decision.
func (r CredentialRequest) Open() bool { return r.Decided.IsZero() }

func errRefused(code, msg string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: msg}
}

// SignInAs is the demo's one-click sign-in: it records a sign-in of the
// person and returns them, without any credential. Only the System actor
// may call it, and only `dissent serve --demo` wires a route to it.
func (s *Service) SignInAs(ctx context.Context, a Actor, id PersonID, addr string) (Actor, error) {
	if err := permit(a, ActSignInAs); err != nil {
		return Actor{}, err
	}
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		return s.signedIn(ctx, tx, p, "demo", addr)
	})
	return Actor{Person: p}, err
}

// Who issued a sign-in link.
const (
	IssuedByAdmin    = "admin"    // a first link, by one administrator
	IssuedByAdmins   = "admins"   // asked by one administrator, approved by another
	IssuedByOperator = "operator" // the command line on the server
	IssuedBySelf     = "self"     // the person, from the sign-in page: e-mailed to them (MailSignInLink)
)

// SignInLinkRecord is a sign-in link as stored: never its secret.
type SignInLinkRecord struct {
	Hash     []byte
	PersonID PersonID
	IssuedBy string
	Issued   time.Time // the day
	Expires  time.Time
	Used     time.Time
}

// CredentialRequest is a credential one administrator asked for and a
// second must approve.
type CredentialRequest struct {
	ID          int64
	PersonID    PersonID
	RequestedBy PersonID
	Requested   time.Time // the day
	DecidedBy   PersonID
	Decided     time.Time // the day; zero while open
	Approved    bool
}

// LinkIssue is the outcome of issuing a sign-in link: the secret, when it
// may be shown to whoever issued it, or Mailed when it went to the person by
// e-mail only.
type LinkIssue struct {
	Secret Secret
	Mailed bool
}

// PendingRequest is an open request with the e-mail of its person, for the
// administrators' overview.
type PendingRequest struct {
	CredentialRequest
	Email string
}

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

	// FindSession returns the data of the unexpired session with this hash
	// and when it expires.
	FindSession(ctx context.Context, hash []byte, now time.Time) ([]byte, time.Time, error)
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

// WebAuthnUser is what a WebAuthn ceremony needs of a person.
type WebAuthnUser struct {
	Person   Person
	Handle   []byte
	Passkeys []Passkey
}

// MaxPasskeyName bounds a passkey's name; MaxPasskeys bounds how many one
// person may hold.
const (
	MaxPasskeyName = 100
	MaxPasskeys    = 20
)

// OIDCIdentity is what a verified ID token says of its subject.
type OIDCIdentity struct {
	OrgID         string
	Email         string
	EmailVerified bool
}
