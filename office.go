package dissent

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// This file holds the channel office's acts on a submitted message:
// acknowledge, assign, consult, reply (with a director's approval), extend,
// redirect, distribute, meetings (and a principal's request to meet the
// authors, which the authors and the office are told of), close and reopen,
// and the check that deadlines were computed as the calendar says.

// Acknowledge records that the channel office has received the message.
func (s *Service) Acknowledge(ctx context.Context, a Actor, id MessageID) (Message, error) {
	return s.mutate(ctx, a, id, ActAcknowledge, "message.acknowledged", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateSubmitted {
			return "", conflictState(*m, "acknowledge")
		}
		m.State = StateAcknowledged
		m.AcknowledgedAt = now
		return "", s.notifySigners(ctx, tx, NoteAcknowledged, m)
	})
}

// eligibleHandler checks that a person may be given the message to handle
// or review: they hold role, and are not in the management chain of any
// signer nor take part in the message (automatic recusal).
//
// Every refusal is the same error, whatever its reason: an unknown
// address, a person without the role and a recused person are not told
// apart, so that nobody learns from a refusal that someone the person
// supervises takes part in the message.
func eligibleHandler(ctx context.Context, tx Tx, m *Message, email, field string, role Role, now time.Time) (Person, error) {
	refused := &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: field,
		Message: "the person " + email + " cannot be given this message: give it to another " + string(role)}
	p, err := tx.PersonByEmail(ctx, email)
	if err != nil && ErrorKind(err) != KindNotFound {
		return Person{}, err
	}
	if err != nil || !eligibleAssignee(p, role) {
		return Person{}, refused
	}
	f, err := tx.Relation(ctx, m.ID, p.ID, now)
	if err != nil {
		return Person{}, err
	}
	f.Drafter = m.DrafterID == p.ID
	if f.recused() {
		return Person{}, refused
	}
	return p, nil
}

func open(m Message) bool {
	return m.State == StateSubmitted || m.State == StateAcknowledged
}

// Assign gives the message to a channel officer to handle.
func (s *Service) Assign(ctx context.Context, a Actor, id MessageID, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, a, id, ActAssign, "message.assigned", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !open(*m) {
			return "", conflictState(*m, "assign")
		}
		p, err := eligibleHandler(ctx, tx, m, email, "email", RoleOfficer, now)
		if err != nil {
			return "", err
		}
		return "person " + strconv.Itoa(int(p.ID)), tx.Assign(ctx, m.ID, p.ID, a.ID, now)
	})
	return err
}

// Consult sends the text, with the names removed, to a reviewer for input by
// a due date.
func (s *Service) Consult(ctx context.Context, a Actor, id MessageID, email, due string) (int64, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return 0, err
	}
	d, err := ParseDate("due", due)
	if err != nil {
		return 0, err
	}
	var cid int64
	_, err = s.mutate(ctx, a, id, ActConsult, "consultation.requested", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !open(*m) {
			return "", conflictState(*m, "consult on")
		}
		_, loc, err := officeOrg(ctx, tx)
		if err != nil {
			return "", err
		}
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
		if !end.After(now) {
			return "", errInvalid("due", "in_past", "due must be a date in the future")
		}
		p, err := eligibleHandler(ctx, tx, m, email, "email", RoleReviewer, now)
		if err != nil {
			return "", err
		}
		cid, err = tx.InsertConsultation(ctx, Consultation{MessageID: m.ID, ReviewerID: p.ID, RequestBy: a.ID, Due: end, Created: now})
		if err == nil {
			err = s.notify(ctx, tx, NoteConsultation, m.ID, p.ID)
		}
		return "consultation " + strconv.FormatInt(cid, 10) + " person " + strconv.Itoa(int(p.ID)) + " due " + due, err
	})
	return cid, err
}

// GiveInput records a consulted reviewer's input, which closes their
// consultation.
func (s *Service) GiveInput(ctx context.Context, a Actor, id MessageID, body string) error {
	if err := checkMarkdownText("body", body, MaxReply, true); err != nil {
		return err
	}
	_, err := s.mutate(ctx, a, id, ActGiveInput, "consultation.answered", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		cs, err := tx.Consultations(ctx, m.ID)
		if err != nil {
			return "", err
		}
		for _, c := range cs {
			if c.ReviewerID == a.ID && c.AnsweredAt.IsZero() && c.Due.After(now) {
				return "consultation " + strconv.FormatInt(c.ID, 10), tx.AnswerConsultation(ctx, c.ID, NewText(body), now)
			}
		}
		return "", &Error{Kind: KindConflict, Code: "no_open_consultation", Message: "you have no open consultation on this message"}
	})
	return err
}

// Reply records a reply. A director's reply is sent at once; an officer's
// waits for the director's approval.
func (s *Service) Reply(ctx context.Context, a Actor, id MessageID, body string) (Reply, Message, error) {
	if err := checkMarkdownText("body", body, MaxReply, true); err != nil {
		return Reply{}, Message{}, err
	}
	var r Reply
	m, err := s.mutate(ctx, a, id, ActReply, "reply.drafted", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateAcknowledged {
			if m.State == StateSubmitted {
				return "", &Error{Kind: KindConflict, Code: "not_acknowledged", Field: "state", Message: "acknowledge the message before replying"}
			}
			return "", conflictState(*m, "reply to")
		}
		r = Reply{MessageID: m.ID, AuthorID: a.ID, Body: NewText(body), Created: now}
		direct := Decide(a.Roles, ActSendReply, f)
		if direct {
			r.ApprovedBy, r.ApprovedAt = a.ID, now
		}
		var err error
		if r.ID, err = tx.InsertReply(ctx, r); err != nil {
			return "", err
		}
		if direct {
			m.State = StateReplied
			m.RepliedAt = now
			if err := s.notifySigners(ctx, tx, NoteReplySent, m); err != nil {
				return "", err
			}
			return "reply " + strconv.FormatInt(r.ID, 10) + " sent", nil
		}
		if err := s.notifyRole(ctx, tx, NoteReplyPending, m, RoleDirector, ActApproveReply, now); err != nil {
			return "", err
		}
		return "reply " + strconv.FormatInt(r.ID, 10) + " awaiting approval", nil
	})
	return r, m, err
}

// ApproveReply approves an officer's reply, which sends it.
func (s *Service) ApproveReply(ctx context.Context, a Actor, id MessageID, replyID int64) (Message, error) {
	return s.mutate(ctx, a, id, ActApproveReply, "reply.approved", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateAcknowledged {
			return "", conflictState(*m, "approve a reply to")
		}
		if err := tx.ApproveReply(ctx, m.ID, replyID, a.ID, now); err != nil {
			return "", err
		}
		m.State = StateReplied
		m.RepliedAt = now
		if err := s.notifySigners(ctx, tx, NoteReplySent, m); err != nil {
			return "", err
		}
		return "reply " + strconv.FormatInt(replyID, 10), nil
	})
}

// Extend sets a new total reply period of workingDays (at most 60), once,
// with a reason the authors see.
func (s *Service) Extend(ctx context.Context, a Actor, id MessageID, workingDays int, reason string) (Message, error) {
	if workingDays <= DefaultReplyDay || workingDays > MaxReplyDays {
		return Message{}, &Error{Kind: KindInvalid, Code: "out_of_range", Field: "working_days", Limit: MaxReplyDays,
			Message: "working_days is the new total reply period and must be more than " + strconv.Itoa(DefaultReplyDay) + " and at most " + strconv.Itoa(MaxReplyDays)}
	}
	if err := checkText("reason", reason, MaxReason, true, true); err != nil {
		return Message{}, err
	}
	return s.mutate(ctx, a, id, ActExtend, "deadline.extended", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !open(*m) {
			return "", conflictState(*m, "extend the deadline of")
		}
		if m.ReplyDays != DefaultReplyDay {
			return "", &Error{Kind: KindConflict, Code: "already_extended", Field: "working_days", Message: "the reply deadline may be extended only once"}
		}
		cal, err := s.officeCalendar(ctx, tx)
		if err != nil {
			return "", err
		}
		m.ReplyDays = workingDays
		m.ReplyBy = cal.Due(m.SubmittedAt, workingDays)
		m.ExtensionNote = NewText(reason)
		if err := s.notifySigners(ctx, tx, NoteExtended, m); err != nil {
			return "", err
		}
		return "working_days " + strconv.Itoa(workingDays), nil
	})
}

// Redirect sends an out-of-scope message (personnel, management, fraud) to
// the proper channel.
func (s *Service) Redirect(ctx context.Context, a Actor, id MessageID, reason, channel string) (Message, error) {
	if err := checkText("reason", reason, MaxReason, true, true); err != nil {
		return Message{}, err
	}
	if err := checkText("channel", channel, MaxChannel, false, true); err != nil {
		return Message{}, err
	}
	return s.mutate(ctx, a, id, ActRedirect, "message.redirected", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !open(*m) {
			return "", conflictState(*m, "redirect")
		}
		m.State = StateRedirected
		m.RedirectNote = NewText(reason)
		m.RedirectTo = channel
		return "", s.notifySigners(ctx, tx, NoteRedirected, m)
	})
}

// Distribute adds principals to the message's distribution.
func (s *Service) Distribute(ctx context.Context, a Actor, id MessageID, emails []string) error {
	if len(emails) == 0 || len(emails) > 100 {
		return &Error{Kind: KindInvalid, Code: "out_of_range", Field: "emails", Limit: 100, Message: "emails must list 1 to 100 principals"}
	}
	norm := make([]string, len(emails))
	for i, e := range emails {
		var err error
		if norm[i], err = NormalizeEmail(fieldIndex("emails", i), e); err != nil {
			return err
		}
	}
	_, err := s.mutate(ctx, a, id, ActDistribute, "message.distributed", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State == StateWithdrawn || m.State == StateRedirected {
			return "", conflictState(*m, "distribute")
		}
		people, err := tx.PeopleByEmail(ctx, norm)
		if err != nil {
			return "", err
		}
		ids := make([]PersonID, len(norm))
		for i, e := range norm {
			p, ok := people[e]
			if !ok || !eligibleRecipient(p) {
				return "", &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: fieldIndex("emails", i), Message: "no principal with the address " + e}
			}
			ids[i] = p.ID
		}
		if err := tx.AddDistribution(ctx, m.ID, ids, now); err != nil {
			return "", err
		}
		return strconv.Itoa(len(ids)) + " principals", s.notify(ctx, tx, NoteDistributed, m.ID, ids...)
	})
	return err
}

// RecordMeeting records a meeting held after the reply.
func (s *Service) RecordMeeting(ctx context.Context, a Actor, id MessageID, heldOn, notes string) (int64, error) {
	if _, err := ParseDate("held_on", heldOn); err != nil {
		return 0, err
	}
	if err := checkText("notes", notes, MaxReply, true, false); err != nil {
		return 0, err
	}
	var mid int64
	_, err := s.mutate(ctx, a, id, ActRecordMeeting, "meeting.recorded", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateReplied && m.State != StateClosed {
			return "", conflictState(*m, "record a meeting on")
		}
		var err error
		mid, err = tx.InsertMeeting(ctx, Meeting{MessageID: m.ID, HeldOn: heldOn, Notes: NewText(notes), Recorded: now, ByID: a.ID})
		return "meeting " + strconv.FormatInt(mid, 10) + " held " + heldOn, err
	})
	return mid, err
}

// Close ends the case after the reply.
func (s *Service) Close(ctx context.Context, a Actor, id MessageID) (Message, error) {
	return s.mutate(ctx, a, id, ActClose, "message.closed", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateReplied {
			return "", conflictState(*m, "close")
		}
		m.State = StateClosed
		m.ClosedAt = now
		return "", nil
	})
}

// Reopen returns a closed message to acknowledged, when the director decides
// so.
func (s *Service) Reopen(ctx context.Context, a Actor, id MessageID, reason string) (Message, error) {
	if err := checkText("reason", reason, MaxReason, true, true); err != nil {
		return Message{}, err
	}
	return s.mutate(ctx, a, id, ActReopen, "message.reopened", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateClosed {
			return "", conflictState(*m, "reopen")
		}
		m.State = StateAcknowledged
		m.ClosedAt = time.Time{}
		return "reason " + reasonDigest(reason), nil
	})
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
		f, err := s.facts(ctx, tx, Actor{Person: p}, *m, now)
		if err != nil {
			return err
		}
		if Decide(p.Roles, action, f) {
			out = append(out, id)
		}
	}
	return s.notify(ctx, tx, kind, m.ID, out...)
}

// CheckDeadlines checks that every submitted message's clocks make sense
// on the channel office's calendar, for `dissent verify`: submitted,
// acknowledged and replied in that order; the acknowledgement due the
// working days after submission the rule gives; the reply period between
// its default and its limit and the reply due that many working days after
// submission. Closures added after a submission may shorten the count by
// one working day each, which is allowed. It names the first message that
// fails.
func (s *Service) CheckDeadlines(ctx context.Context) (int, error) {
	n := 0
	err := s.store.View(ctx, func(tx Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil || len(orgs) == 0 {
			return err
		}
		cal, err := s.officeCalendar(ctx, tx)
		if err != nil {
			return err
		}
		closures, err := tx.Closures(ctx, orgs[0].ID)
		if err != nil {
			return err
		}
		slack := len(closures)
		metas, err := tx.SubmittedMeta(ctx, MetaQuery{Now: s.now().UTC(), Fresh: true})
		if err != nil {
			return err
		}
		for _, m := range metas {
			n++
			bad := func(what string) error {
				return fmt.Errorf("message %s: %s (submitted %s, acknowledge by %s, reply by %s, %d working days)", m.ID, what,
					m.SubmittedAt.Format("2006-01-02T15:04Z07:00"), m.AcknowledgeBy.Format("2006-01-02"), m.ReplyBy.Format("2006-01-02"), m.ReplyDays)
			}
			switch {
			case m.SubmittedAt.IsZero():
				return bad("no time of submission")
			case !m.AcknowledgedAt.IsZero() && m.AcknowledgedAt.Before(m.SubmittedAt):
				return bad("acknowledged before it was submitted")
			case !m.RepliedAt.IsZero() && m.RepliedAt.Before(m.SubmittedAt):
				return bad("replied to before it was submitted")
			case !m.RepliedAt.IsZero() && !m.AcknowledgedAt.IsZero() && m.RepliedAt.Before(m.AcknowledgedAt):
				return bad("replied to before it was acknowledged")
			case m.ReplyDays < DefaultReplyDay || m.ReplyDays > MaxReplyDays:
				return bad(fmt.Sprintf("a reply period outside %d to %d working days", DefaultReplyDay, MaxReplyDays))
			}
			if wd := cal.WorkingDaysBetween(m.SubmittedAt, m.AcknowledgeBy); wd > DefaultAckDays || wd < DefaultAckDays-slack {
				return bad(fmt.Sprintf("acknowledgement due %d working days after submission, not %d", wd, DefaultAckDays))
			}
			if wd := cal.WorkingDaysBetween(m.SubmittedAt, m.ReplyBy); wd > m.ReplyDays || wd < m.ReplyDays-slack {
				return bad(fmt.Sprintf("reply due %d working days after submission, not %d", wd, m.ReplyDays))
			}
		}
		return nil
	})
	return n, err
}
