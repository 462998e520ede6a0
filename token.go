package dissent

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file holds API tokens: issuing (the person on their account page,
// or the command line for anyone), authenticating, listing and revoking.
// A token is stored only as its SHA-256; a token's use is noted in memory
// and written in batches (FlushTokenUses), never as a log entry of its own.

func errBadCredential(code, msg string) *Error {
	return &Error{Kind: KindUnauthenticated, Code: code, Message: msg}
}

func tokenID(hash []byte) string { return hex.EncodeToString(hash[:8]) }

// AuthenticateToken returns the person a bearer token belongs to and
// records the token's first use in each TokenUseInterval. A revoked,
// unknown or malformed token is Unauthenticated; the three are
// indistinguishable.
func (s *Service) AuthenticateToken(ctx context.Context, token Secret, addr string) (Actor, error) {
	return s.authenticateToken(ctx, token, addr, false)
}

// AuthenticateTokenToWrite is AuthenticateToken for a request that asks to
// change something. The account's first use is not written before the
// request runs, in a transaction of its own: the request's own write
// records it first, in an entry of its own (mutate), or, if the request
// writes nothing, FinishActivation does when the request is done, which the
// caller must call. Both happen before the response is complete.
func (s *Service) AuthenticateTokenToWrite(ctx context.Context, token Secret, addr string) (Actor, error) {
	return s.authenticateToken(ctx, token, addr, true)
}

func (s *Service) authenticateToken(ctx context.Context, token Secret, addr string, deferActivation bool) (Actor, error) {
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
	actor := Actor{Person: p}
	switch {
	case p.Activated:
	case deferActivation:
		actor.activation = &activation{}
	default:
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
	return actor, nil
}

// FinishActivation writes the account's first use that
// AuthenticateTokenToWrite left to the request, if the request's own write
// did not (it wrote nothing, or failed).
func (s *Service) FinishActivation(ctx context.Context, a Actor) error {
	act := a.activation
	if act == nil {
		return nil
	}
	act.mu.Lock()
	defer act.mu.Unlock()
	if act.done {
		return nil
	}
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.MarkActivated(ctx, a.ID) }); err != nil {
		return err
	}
	act.done = true
	return nil
}

// activateIn writes, in tx, the account's first use that
// AuthenticateTokenToWrite left to the request, in an entry of its own: the
// request's later entries may be protected events, which must not carry a
// digest of the person's row. It reports whether it wrote; the caller marks
// the activation done once tx has committed.
func activateIn(ctx context.Context, tx Tx, a Actor) (bool, error) {
	act := a.activation
	if act == nil {
		return false, nil
	}
	act.mu.Lock()
	done := act.done
	act.mu.Unlock()
	if done {
		return false, nil
	}
	return true, tx.ActivateApart(ctx, a.ID)
}

func (act *activation) markDone() {
	act.mu.Lock()
	act.done = true
	act.mu.Unlock()
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

// IssueToken creates a new bearer token for a person. Only the command line
// on the server (System) may: no administrator issues a token for another
// person. The person is told.
func (s *Service) IssueToken(ctx context.Context, actor Actor, email string) (Secret, error) {
	if err := permit(actor, ActIssueToken); err != nil {
		return Secret{}, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	tok := newToken("dsn_")
	err = s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.PersonByEmail(ctx, email)
		if err != nil {
			return errInvalid("email", "unknown_person", "no person %q in the directory", email)
		}
		if !p.Active() {
			return errRefused("deactivated", "the account of "+p.Email+" is deactivated; reactivate it first")
		}
		now := s.now().UTC()
		if err := tx.CreateToken(ctx, p.ID, TokenHash(tok), now); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: now, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "token.issued", Detail: "person " + strconv.Itoa(int(p.ID))}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, p.ID, NoticeTokenIssued, Secret{})
	})
	return tok, err
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

// MaxTokenLabel bounds a token's label, in characters.
const MaxTokenLabel = 100

// TokenUseInterval is how often the use of one token is recorded: its first
// use in each interval is an event, and its last-used time is kept to it.
const TokenUseInterval = time.Hour

// tokenUses are the token uses noted and not yet written.
type tokenUses struct {
	mu sync.Mutex
	m  map[string]time.Time // by token hash
}

// TokenInfo is what the owner sees of a token.
type TokenInfo struct {
	ID       string
	Label    string
	Created  time.Time
	LastUsed time.Time
	Revoked  time.Time
}
