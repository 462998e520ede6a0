package dissent

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Shareable invitation links (SPEC §2): the drafter (or whoever may invite)
// makes a link; an employee of the deployment who opens it and asks to join
// becomes an invitee, and so may read and co-sign the message. The link is
// a capability: 256 random bits, kept only as its SHA-256, valid while the
// message can still be signed, revocable all at once. Joining is recorded
// in the audit log as the joiner's protected act.

// InviteLinkTx stores invitation links.
type InviteLinkTx interface {
	CreateInviteLink(ctx context.Context, id MessageID, hash []byte, at time.Time) error
	// InviteLinkMessage returns the message an unrevoked link leads to.
	InviteLinkMessage(ctx context.Context, hash []byte) (MessageID, error)
	RevokeInviteLinks(ctx context.Context, id MessageID, at time.Time) (int, error)
}

// inviteLinkPrefix marks the secret of an invitation link.
const inviteLinkPrefix = "dsi_"

// CreateInviteLink makes a new invitation link to the message and returns
// its secret, which is shown once. Like any invitation it moves a draft to
// circulating.
func (s *Service) CreateInviteLink(ctx context.Context, a Actor, id MessageID) (Secret, error) {
	sec := newToken(inviteLinkPrefix)
	_, err := s.mutate(ctx, a, id, ActInvite, "message.invited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "invite co-signers to")
		}
		if err := tx.CreateInviteLink(ctx, m.ID, TokenHash(sec), now); err != nil {
			return "", err
		}
		if m.State == StateDraft {
			m.State = StateCirculating
		}
		return "by link", nil
	})
	if err != nil {
		return Secret{}, err
	}
	return sec, nil
}

// RevokeInviteLinks revokes every invitation link to the message; those
// who joined stay invited.
func (s *Service) RevokeInviteLinks(ctx context.Context, a Actor, id MessageID) (int, error) {
	var n int
	_, err := s.mutate(ctx, a, id, ActInvite, "message.invite_links_revoked", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		var err error
		n, err = tx.RevokeInviteLinks(ctx, m.ID, now)
		return strconv.Itoa(n) + " revoked", err
	})
	return n, err
}

// errBadInviteLink is all a caller learns of a link that is malformed,
// unknown, revoked, or leads to a message that can no longer be signed.
var errBadInviteLink = &Error{Kind: KindNotFound, Code: "not_found", Message: "this invitation link is not valid (it may have been revoked, or the message is no longer open for signatures)"}

// JoinByLink makes the actor, who must be an employee, an invitee of the
// message the link leads to, and returns its id. Joining twice is harmless.
func (s *Service) JoinByLink(ctx context.Context, a Actor, secret Secret) (MessageID, error) {
	t := secret.Reveal()
	if !strings.HasPrefix(t, inviteLinkPrefix) || len(t) > 100 {
		return "", errBadInviteLink
	}
	if err := permit(a, ActJoinByLink); err != nil {
		return "", err
	}
	var id MessageID
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		var err error
		if id, err = tx.InviteLinkMessage(ctx, TokenHash(secret)); err != nil {
			if ErrorKind(err) == KindNotFound {
				return errBadInviteLink
			}
			return err
		}
		m, err := tx.LockMessage(ctx, id)
		if err != nil {
			return err
		}
		if !m.State.Editable() {
			return errBadInviteLink
		}
		added, err := tx.AddInvitations(ctx, id, []PersonID{a.ID}, a.ID, now)
		if err != nil {
			return err
		}
		if added == 0 {
			return nil // already invited, or on the message already
		}
		f, err := s.facts(ctx, tx, a, m, now)
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, messageEvent(a, RoleEmployee, "message.joined", id, "by link", f, now))
	})
	return id, err
}
