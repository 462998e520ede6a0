package dissent

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// InviteTx is what inviting a whole unit, and showing a co-signer their own
// signature, need of the store.
type InviteTx interface {
	// UnitMembers lists, in ID order, the people of the unit itself (not of
	// its sub-units) who hold role.
	UnitMembers(ctx context.Context, unitID string, role Role) ([]PersonID, error)
	// OwnSignature returns the newest version on which the person holds an
	// active signature, and its MinCosigners; version 0 when none.
	OwnSignature(ctx context.Context, id MessageID, person PersonID) (version, minCosigners int, err error)
}

// can lists the actions the reader may take on the message, as the one
// policy (Decide) answers them with the Facts the view was loaded with. The
// web pages show a form only for what the reader may do; the Service still
// decides every act again in its own transaction. Actions about no message
// are left out (pages ask May for those).
func can(roles Roles, f Facts) map[Action]bool {
	out := make(map[Action]bool, numActions)
	for _, a := range AllActions() {
		if a.onMessage() && Decide(roles, a, f) {
			out[a] = true
		}
	}
	return out
}

// InviteUnit invites every employee of one unit to co-sign, except the
// people already on the message as its drafter. Inviting moves a draft to
// circulating. It returns how many invitations are new.
func (s *Service) InviteUnit(ctx context.Context, a Actor, id MessageID, unitID string) (int, error) {
	unitID = strings.TrimSpace(unitID)
	if err := checkID("unit", unitID); err != nil {
		return 0, err
	}
	var added int
	_, err := s.mutate(ctx, a, id, ActInvite, "message.invited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "invite co-signers to")
		}
		if _, err := tx.Unit(ctx, unitID); err != nil {
			if ErrorKind(err) == KindNotFound {
				return "", errInvalid("unit", "unknown_unit", "no unit %q", unitID)
			}
			return "", err
		}
		members, err := tx.UnitMembers(ctx, unitID, RoleEmployee)
		if err != nil {
			return "", err
		}
		ids := make([]PersonID, 0, len(members))
		for _, p := range members {
			if p != m.DrafterID {
				ids = append(ids, p)
			}
		}
		if len(ids) == 0 {
			return "", &Error{Kind: KindUnprocessable, Code: "empty_unit", Field: "unit", Message: "unit " + unitID + " has no other employees to invite"}
		}
		if len(ids) > MaxInvitations {
			return "", &Error{Kind: KindInvalid, Code: "too_many", Field: "unit", Limit: MaxInvitations,
				Message: "a unit invitation may reach at most " + strconv.Itoa(MaxInvitations) + " people"}
		}
		if added, err = tx.AddInvitations(ctx, m.ID, ids, a.ID, now); err != nil {
			return "", err
		}
		if m.State == StateDraft {
			m.State = StateCirculating
		}
		return strconv.Itoa(added) + " invited by unit", nil
	})
	return added, err
}

// Autosave keeps a draft's text while its author types. It saves only a
// message still in state draft, which nobody else has been asked to sign: on
// a circulating message a new version asks every co-signer to sign again, so
// that must stay a deliberate Save. An unchanged text makes no new version.
func (s *Service) Autosave(ctx context.Context, a Actor, id MessageID, d Draft) (Message, error) {
	if err := d.validate(); err != nil {
		return Message{}, err
	}
	return s.edit(ctx, a, id, d, true)
}

// PrintMessage returns the message for a printout. Every printout is
// recorded as a read (kind "print"), whoever makes it, authors included,
// because a printed copy leaves the system (SPEC §4: printouts carry the
// reader's identity and the time).
func (s *Service) PrintMessage(ctx context.Context, a Actor, id MessageID) (MessageView, error) {
	var v MessageView
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		_, f, err := s.authorize(ctx, tx, a, id, ActReadText, false, now)
		if err != nil {
			return err
		}
		if v, _, err = s.loadView(ctx, tx, a, id, now, false); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActReadText, f), "read.print", id, "version "+strconv.Itoa(v.Version), f, now))
	})
	return v, err
}
