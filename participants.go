package dissent

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// The participants' side of a message (issue #13): who is invited and who
// has signed, a rate-limited reminder to those who have not, and a
// principal's request to meet the authors, which the authors and the
// channel office are told of and the page shows.

// ParticipantTx stores what the participants' pages need beyond the
// message itself.
type ParticipantTx interface {
	// Invitations lists a message's invitations, oldest first. PersonID is
	// 0 for an invitation made before invitees were kept sealed.
	Invitations(ctx context.Context, id MessageID) ([]Invitation, error)
	// AddMeetingRequest records a person's request to meet the authors;
	// false when they had asked already.
	AddMeetingRequest(ctx context.Context, id MessageID, person PersonID, at time.Time) (bool, error)
	// MeetingRequests counts the requests to meet on a message, and gives
	// when person asked (zero: they have not).
	MeetingRequests(ctx context.Context, id MessageID, person PersonID) (int, time.Time, error)
	// SignReminder is when the authors last reminded the invitees (zero:
	// never); SetSignReminder records a reminder.
	SignReminder(ctx context.Context, id MessageID) (time.Time, error)
	SetSignReminder(ctx context.Context, id MessageID, at time.Time) error
	// PendingReplies counts, per message, the replies awaiting the
	// director's approval (messages without one are absent).
	PendingReplies(ctx context.Context, ids []MessageID) (map[MessageID]int, error)
	// Distribution lists the principals a message was distributed to.
	Distribution(ctx context.Context, id MessageID) ([]PersonID, error)
}

// HistoryEntry is one step of a message's life as the case page shows it:
// what happened and when, never who (a participant's acts stay theirs).
type HistoryEntry struct {
	At   time.Time
	What string
}

// historyWords names the lifecycle steps a case's history shows. Reads,
// signatures and joins are left out: their times would point at people.
var historyWords = map[string]string{
	"message.created": "Drafted", "message.edited": "A new version was saved", "message.invited": "Co-signers were invited",
	"message.submitted": "Submitted to the channel office", "message.withdrawn": "Withdrawn by the drafter",
	"message.acknowledged": "Acknowledged by the channel office", "message.assigned": "Assigned to an officer",
	"consultation.requested": "A reviewer was consulted", "consultation.answered": "A reviewer gave input",
	"reply.drafted": "A reply was drafted", "reply.approved": "The reply was approved and sent",
	"deadline.extended": "The reply deadline was extended", "message.redirected": "Redirected to another channel",
	"message.distributed": "Distributed to principals", "meeting.requested": "A principal asked for a meeting",
	"meeting.recorded": "A meeting was recorded", "message.closed": "Closed", "message.reopened": "Reopened",
}

// caseDetails fills the parts of the view that only those who may read
// the names see: who the message is assigned to, distributed to and
// consulted (the office), and the history of its steps.
func (s *Service) caseDetails(ctx context.Context, tx Tx, v *MessageView, office bool) error {
	if office {
		people := func(ids []PersonID) ([]Person, error) {
			out := make([]Person, 0, len(ids))
			for _, id := range ids {
				p, err := tx.Person(ctx, id)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
			}
			return out, nil
		}
		ids, err := tx.Assignees(ctx, v.ID)
		if err != nil {
			return err
		}
		if v.AssignedTo, err = people(ids); err != nil {
			return err
		}
		if ids, err = tx.Distribution(ctx, v.ID); err != nil {
			return err
		}
		if v.DistributedTo, err = people(ids); err != nil {
			return err
		}
		ids = ids[:0]
		for _, c := range v.Consultations {
			ids = append(ids, c.ReviewerID)
		}
		if v.Consulted, err = people(ids); err != nil {
			return err
		}
	}
	evs, err := tx.Events(ctx, v.ID)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if w, ok := historyWords[e.Kind]; ok {
			if e.Kind == "message.edited" && strings.HasSuffix(e.Detail, "unchanged") {
				continue
			}
			v.History = append(v.History, HistoryEntry{At: e.At.In(v.Zone), What: w})
		}
	}
	return nil
}

// Invitation is one invitee of a message.
type Invitation struct {
	PersonID PersonID
	Created  time.Time
}

// InvitationView is one invitee as the authors see it. Signed is true only
// for a signature on the current version that the authors may see: a
// sealed conditional signature, or one whose signer the reader
// supervises, shows as not signed.
type InvitationView struct {
	Email, Name, OrgID string
	InvitedAt          time.Time
	Signed             bool
}

// Progress is how far the gathering of signatures has come.
type Progress struct {
	Invited int // people invited
	Signed  int // of them, those whose signature on the current version the reader may see
}

// SignReminderEvery is the least time between two reminders to the
// invitees of one message.
const SignReminderEvery = 24 * time.Hour

// Invitations lists the message's invitees for its authors, with which of
// them signed the current version, and the progress.
func (s *Service) Invitations(ctx context.Context, a Actor, id MessageID) ([]InvitationView, Progress, error) {
	var out []InvitationView
	var pr Progress
	err := s.store.View(ctx, func(tx Tx) error {
		m, _, err := s.authorize(ctx, tx, a, id, ActReadInvitations, false, s.now().UTC())
		if err != nil {
			return err
		}
		out, pr, err = s.invitations(ctx, tx, a, m)
		return err
	})
	return out, pr, err
}

func (s *Service) invitations(ctx context.Context, tx Tx, a Actor, m Message) ([]InvitationView, Progress, error) {
	invs, err := tx.Invitations(ctx, m.ID)
	if err != nil {
		return nil, Progress{}, err
	}
	signed, err := s.visibleSigners(ctx, tx, a, m)
	if err != nil {
		return nil, Progress{}, err
	}
	out := make([]InvitationView, 0, len(invs))
	var pr Progress
	for _, inv := range invs {
		v := InvitationView{InvitedAt: inv.Created}
		if inv.PersonID != 0 {
			p, err := tx.Person(ctx, inv.PersonID)
			if err != nil {
				return nil, Progress{}, err
			}
			v.Email, v.Name, v.OrgID = p.Email, p.Name, p.OrgID
			v.Signed = signed[inv.PersonID]
		}
		if v.Signed {
			pr.Signed++
		}
		out = append(out, v)
	}
	pr.Invited = len(out)
	return out, pr, nil
}

// visibleSigners is the set of people whose signature on the current
// version the reader may see: not sealed, not withheld from them.
func (s *Service) visibleSigners(ctx context.Context, tx Tx, a Actor, m Message) (map[PersonID]bool, error) {
	rows, err := tx.Signers(ctx, m.ID, m.Version, a.ID)
	if err != nil {
		return nil, err
	}
	mins := make([]int, len(rows))
	for i, r := range rows {
		mins[i] = r.MinCosigners
	}
	th := QuorumThreshold(mins)
	out := make(map[PersonID]bool, len(rows))
	for _, r := range rows {
		if (r.MinCosigners > 0 && r.MinCosigners > th) || (r.Withheld && r.PersonID != a.ID) {
			continue
		}
		out[r.PersonID] = true
	}
	return out, nil
}

// RemindInvitees notifies the invitees who have not signed the current
// version as far as the authors may know (a sealed signer is reminded
// too, which tells nobody anything). At most once per SignReminderEvery
// per message. It returns how many were reminded.
func (s *Service) RemindInvitees(ctx context.Context, a Actor, id MessageID) (int, error) {
	var n int
	_, err := s.mutate(ctx, a, id, ActInvite, "message.reminded", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "remind the invitees of")
		}
		last, err := tx.SignReminder(ctx, m.ID)
		if err != nil {
			return "", err
		}
		if !last.IsZero() && now.Sub(last) < SignReminderEvery {
			next := last.Add(SignReminderEvery)
			return "", &Error{Kind: KindRateLimited, Code: "reminded_recently", Field: "remind",
				Message: "The invitees were reminded on " + last.UTC().Format("2006-01-02 15:04 UTC") +
					"; you may remind them again after " + next.UTC().Format("2006-01-02 15:04 UTC") + "."}
		}
		invs, err := tx.Invitations(ctx, m.ID)
		if err != nil {
			return "", err
		}
		// Who counts as signed is what the authors may see: a sealed
		// conditional signer is reminded like anyone who has not signed,
		// so the count tells the authors nothing the list does not.
		signed, err := s.visibleSigners(ctx, tx, a, *m)
		if err != nil {
			return "", err
		}
		var people []PersonID
		for _, inv := range invs {
			if inv.PersonID != 0 && !signed[inv.PersonID] {
				people = append(people, inv.PersonID)
			}
		}
		if len(people) == 0 {
			return "", &Error{Kind: KindConflict, Code: "nobody_to_remind", Field: "remind", Message: "Every invitee has signed this version; there is nobody to remind."}
		}
		if err := tx.SetSignReminder(ctx, m.ID, now); err != nil {
			return "", err
		}
		n = len(people)
		return strconv.Itoa(n) + " reminded", s.notify(ctx, tx, NoteSignReminder, m.ID, people...)
	})
	return n, err
}

// RequestMeeting records a principal's request to meet the authors, once
// per principal; the authors and the channel office are notified.
func (s *Service) RequestMeeting(ctx context.Context, a Actor, id MessageID) error {
	_, err := s.mutate(ctx, a, id, ActRequestMeeting, "meeting.requested", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State == StateWithdrawn || m.State == StateRedirected {
			return "", conflictState(*m, "ask for a meeting on")
		}
		added, err := tx.AddMeetingRequest(ctx, m.ID, a.ID, now)
		if err != nil {
			return "", err
		}
		if !added {
			return "", &Error{Kind: KindConflict, Code: "already_requested", Message: "You have already asked for a meeting on this message."}
		}
		office, err := s.handlers(ctx, tx, *m, false, now)
		if err != nil {
			return "", err
		}
		authors, err := signerIDs(ctx, tx, m)
		if err != nil {
			return "", err
		}
		return "", s.notify(ctx, tx, NoteMeetingRequested, m.ID, append(office, authors...)...)
	})
	return err
}

// notifyRole notifies the holders of role who may take action on m.
func (s *Service) notifyRole(ctx context.Context, tx Tx, kind string, m *Message, role Role, action Action, now time.Time) error {
	ids, err := tx.RoleHolders(ctx, role)
	if err != nil {
		return err
	}
	var out []PersonID
	for _, id := range ids {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		f, err := s.facts(ctx, tx, Actor{p}, *m, now)
		if err != nil {
			return err
		}
		if Decide(p.Roles, action, f) {
			out = append(out, id)
		}
	}
	return s.notify(ctx, tx, kind, m.ID, out...)
}

// SignedVersion returns the version of the message the actor holds an
// active signature on, when the text has changed since (so the sign page
// can show what changed against what they signed), with the current one.
// ok is false when they signed the current version or nothing.
func (s *Service) SignedVersion(ctx context.Context, a Actor, id MessageID) (signed, current Version, ok bool, err error) {
	err = s.store.View(ctx, func(tx Tx) error {
		m, f, err := s.authorize(ctx, tx, a, id, ActReadText, false, s.now().UTC())
		if err != nil {
			return err
		}
		if !f.Signer {
			return nil
		}
		n, _, err := tx.OwnSignature(ctx, id, a.ID)
		if err != nil || n == 0 || n == m.Version {
			return err
		}
		vs, err := tx.Versions(ctx, id)
		if err != nil {
			return err
		}
		for _, v := range vs {
			switch v.Number {
			case n:
				signed = v
			case m.Version:
				current = v
			}
		}
		ok = signed.Number != 0 && current.Number != 0
		return nil
	})
	return signed, current, ok, err
}
