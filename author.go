package dissent

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the authors' use cases: create and edit a draft, invite
// signers (by address, unit or shareable link), sign and withdraw, submit,
// withdraw the message, ask for and give endorsements, remind invitees.
//
// Shareable invitation links (SPEC §2): the drafter (or whoever may invite)
// makes a link; an employee of the deployment who opens it and asks to join
// becomes an invitee, and so may read and co-sign the message. The link is
// a capability: 256 random bits, kept only as its SHA-256, valid while the
// message can still be signed, revocable all at once. Joining is recorded
// in the audit log as the joiner's protected act.

// applyModel checks the draft's marking, topic, tier and related messages
// against the vocabulary and the actor's view, and sets them on m. Retired
// entries are accepted only where m already carries them.
func (s *Service) applyModel(ctx context.Context, tx Tx, a Actor, d Draft, m *Message, now time.Time) error {
	if d.Classification != nil || d.Topic != nil || d.Tier != nil {
		v, err := s.vocabulary(ctx, tx)
		if err != nil {
			return err
		}
		for _, x := range []struct {
			field string
			kind  VocabKind
			in    *string
			to    *string
		}{{"classification", VocabClassification, d.Classification, &m.Classification},
			{"topic", VocabTopic, d.Topic, &m.Topic}, {"tier", VocabTier, d.Tier, &m.Tier}} {
			if x.in == nil {
				continue
			}
			val := strings.TrimSpace(*x.in)
			if err := v.checkTerm(x.field, x.kind, val, *x.to); err != nil {
				return err
			}
			*x.to = val
		}
	}
	if d.Related == nil {
		return nil
	}
	rel := *d.Related
	if len(rel) > MaxRelated {
		return &Error{Kind: KindInvalid, Code: "too_many", Field: "related", Limit: MaxRelated,
			Message: "related may list at most " + strconv.Itoa(MaxRelated) + " messages"}
	}
	out := make([]MessageID, 0, len(rel))
	for i, r := range rel {
		field := fieldIndex("related", i)
		id, err := ParseMessageID(strings.TrimSpace(r))
		if err != nil {
			return errInvalid(field, "malformed_id", "%s must be a message id (32 hexadecimal digits)", field)
		}
		if id == m.ID {
			return errInvalid(field, "self", "%s is this message itself", field)
		}
		if slices.Contains(out, id) {
			continue
		}
		// A message the drafter may not see is refused exactly like one
		// that does not exist.
		rm, err := tx.Message(ctx, id)
		if err == nil {
			var f Facts
			if f, err = s.facts(ctx, tx, a, rm, now); err == nil && !Decide(a.Roles, ActSee, f) {
				err = ErrNotFound("message")
			}
		}
		if ErrorKind(err) == KindNotFound {
			return errInvalid(field, "unknown_message", "%s names no message you may see", field)
		}
		if err != nil {
			return err
		}
		out = append(out, id)
	}
	m.Related = out
	return nil
}

// visibleRelated leaves out of m.Related the messages a may not see.
func (s *Service) visibleRelated(ctx context.Context, tx Tx, a Actor, m *Message, now time.Time) error {
	if len(m.Related) == 0 {
		return nil
	}
	var keep []MessageID
	for _, id := range m.Related {
		rm, err := tx.Message(ctx, id)
		if ErrorKind(err) == KindNotFound {
			continue
		}
		if err != nil {
			return err
		}
		f, err := s.facts(ctx, tx, a, rm, now)
		if err != nil {
			return err
		}
		if Decide(a.Roles, ActSee, f) {
			keep = append(keep, id)
		}
	}
	m.Related = keep
	return nil
}

// newVersion makes m's current content a new version signed by its drafter,
// unless the content hash is unchanged; it reports whether it made one.
func (s *Service) newVersion(ctx context.Context, tx Tx, a Actor, m *Message, now time.Time) (bool, error) {
	_, made, err := s.newVersionVoiding(ctx, tx, a, m, now)
	return made, err
}

// newVersionVoiding is newVersion that says how many co-signatures the new
// version left behind: they stay on the version they signed and no longer
// count; their signers are told, in this transaction, and asked to sign
// again.
func (s *Service) newVersionVoiding(ctx context.Context, tx Tx, a Actor, m *Message, now time.Time) (int, bool, error) {
	hash := contentOf(*m).Hash()
	if hash == m.ContentHash {
		return 0, false, nil
	}
	was, err := tx.ActiveSigners(ctx, m.ID, m.Version)
	if err != nil {
		return 0, false, err
	}
	was = slices.DeleteFunc(was, func(p PersonID) bool { return p == m.DrafterID })
	if err := s.notify(ctx, tx, NoteResign, m.ID, was...); err != nil {
		return 0, false, err
	}
	made, err := s.addVersion(ctx, tx, a, m, hash, now)
	return len(was), made, err
}

func (s *Service) addVersion(ctx context.Context, tx Tx, a Actor, m *Message, hash string, now time.Time) (bool, error) {
	m.Version++
	m.ContentHash = hash
	if err := tx.AddVersion(ctx, versionOf(*m, a.ID, now)); err != nil {
		return false, err
	}
	if err := tx.InsertSignature(ctx, Signature{MessageID: m.ID, Version: m.Version, PersonID: m.DrafterID, ContentHash: hash, Signed: now}, true); err != nil {
		return false, err
	}
	return true, s.recount(ctx, tx, m)
}

// versionOf is the current version of m.
func versionOf(m Message, author PersonID, now time.Time) Version {
	return Version{MessageID: m.ID, Number: m.Version, Title: m.Title, Summary: m.Summary, Body: m.Body, ContentHash: m.ContentHash,
		AuthorID: author, Created: now, Classification: m.Classification, Topic: m.Topic, Attachments: m.Attachments}
}

func (d Draft) validate() error {
	if err := checkLabel("title", d.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := checkText("summary", d.Summary, MaxSummary, true, false); err != nil {
		return err
	}
	return checkMarkdownText("body", d.Body, MaxBody, false)
}

// CreateMessage starts a draft. The drafter is its first signer.
func (s *Service) CreateMessage(ctx context.Context, a Actor, d Draft) (Message, error) {
	if err := permit(a, ActCreateMessage); err != nil {
		return Message{}, err
	}
	if err := d.validate(); err != nil {
		return Message{}, err
	}
	var m Message
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		m = Message{
			ID: MessageID(newRandomID()), OrgID: a.OrgID, DrafterID: a.ID, State: StateDraft, Version: 1,
			Title: NewText(d.Title), Summary: NewText(d.Summary), Body: NewText(d.Body),
			SignatureCount: 1, Created: now, Updated: now, ReplyDays: DefaultReplyDay,
		}
		if err := s.applyModel(ctx, tx, a, d, &m, now); err != nil {
			return err
		}
		hash := contentOf(m).Hash()
		m.ContentHash = hash
		if err := tx.CreateMessage(ctx, m, versionOf(m, a.ID, now)); err != nil {
			return err
		}
		if err := tx.InsertSignature(ctx, Signature{MessageID: m.ID, Version: 1, PersonID: a.ID, ContentHash: hash, Signed: now}, true); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, messageEvent(a, RoleEmployee, "message.created", m.ID, "version 1 "+hash, Facts{Drafter: true}, now))
	})
	if err != nil {
		return Message{}, err
	}
	return m, nil
}

// EditMessage replaces the draft's text with a new version. Signatures on
// earlier versions stay on record but no longer count; the drafter signs the
// new version.
func (s *Service) EditMessage(ctx context.Context, a Actor, id MessageID, d Draft) (Message, error) {
	m, _, err := s.EditMessageVoiding(ctx, a, id, d)
	return m, err
}

// EditMessageVoiding is EditMessage that also says how many co-signatures
// the new version left behind. Their signers are notified, in the same
// transaction, that the text they signed changed.
func (s *Service) EditMessageVoiding(ctx context.Context, a Actor, id MessageID, d Draft) (Message, int, error) {
	if err := d.validate(); err != nil {
		return Message{}, 0, err
	}
	var voided int
	m, err := s.editVoiding(ctx, a, id, d, false, &voided)
	if err != nil || len(m.Related) == 0 {
		return m, voided, err
	}
	// A co-author gets back only the related messages they may see.
	err = s.store.View(ctx, func(tx Tx) error { return s.visibleRelated(ctx, tx, a, &m, s.now().UTC()) })
	return m, voided, err
}

// edit makes the new version; draftOnly refuses, under the message's lock, a
// message that is no longer a draft (Autosave).
func (s *Service) edit(ctx context.Context, a Actor, id MessageID, d Draft, draftOnly bool) (Message, error) {
	var voided int
	return s.editVoiding(ctx, a, id, d, draftOnly, &voided)
}

func (s *Service) editVoiding(ctx context.Context, a Actor, id MessageID, d Draft, draftOnly bool, voided *int) (Message, error) {
	return s.mutate(ctx, a, id, ActEdit, "message.edited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "edit")
		}
		if draftOnly && m.State != StateDraft {
			return "", &Error{Kind: KindConflict, Code: "not_autosaved", Field: "state",
				Message: "a message that is " + string(m.State) + " is not saved automatically; save it yourself (co-signers will be asked to sign again)"}
		}
		if err := s.applyModel(ctx, tx, a, d, m, now); err != nil {
			return "", err
		}
		m.Title, m.Summary, m.Body = NewText(d.Title), NewText(d.Summary), NewText(d.Body)
		n, made, err := s.newVersionVoiding(ctx, tx, a, m, now)
		*voided = n
		if err != nil || !made {
			return "version " + strconv.Itoa(m.Version) + " unchanged", err
		}
		return "version " + strconv.Itoa(m.Version) + " " + m.ContentHash, nil
	})
}

func (s *Service) recount(ctx context.Context, tx Tx, m *Message) error {
	q, err := tx.SignatureQuorums(ctx, m.ID, m.Version)
	if err != nil {
		return err
	}
	m.SignatureCount = q.Count()
	return nil
}

// Invite invites employees, by e-mail, to co-sign. Inviting moves a draft to
// circulating.
func (s *Service) Invite(ctx context.Context, a Actor, id MessageID, emails []string) (int, error) {
	if len(emails) == 0 {
		return 0, errInvalid("emails", "required", "emails must list at least one address")
	}
	norm, err := ParseAddressList("emails", emails)
	if err != nil {
		return 0, err
	}
	if len(norm) == 0 {
		return 0, errInvalid("emails", "required", "emails must list at least one address")
	}
	if len(norm) > MaxInvitations {
		return 0, &Error{Kind: KindInvalid, Code: "too_many", Field: "emails", Limit: MaxInvitations, Message: "emails may list at most " + strconv.Itoa(MaxInvitations) + " addresses"}
	}
	var added int
	_, err = s.mutate(ctx, a, id, ActInvite, "message.invited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "invite co-signers to")
		}
		people, err := tx.PeopleByEmail(ctx, norm)
		if err != nil {
			return "", err
		}
		ids := make([]PersonID, 0, len(norm))
		var missing []string
		for _, e := range norm {
			p, ok := people[e]
			if !ok || !eligibleParticipant(p) {
				missing = append(missing, e)
				continue
			}
			ids = append(ids, p.ID)
		}
		if len(missing) == 1 {
			return "", &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: "emails", Message: "No eligible employee has the address " + missing[0] + "; nobody was invited."}
		}
		if len(missing) > 1 {
			return "", &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: "emails",
				Message: "No eligible employee has these " + strconv.Itoa(len(missing)) + " addresses: " + strings.Join(missing, ", ") + "; nobody was invited."}
		}
		fresh, err := tx.Uninvited(ctx, m.ID, ids)
		if err != nil {
			return "", err
		}
		if added, err = tx.AddInvitations(ctx, m.ID, ids, a.ID, now); err != nil {
			return "", err
		}
		if err := s.notify(ctx, tx, NoteInvited, m.ID, fresh...); err != nil {
			return "", err
		}
		if m.State == StateDraft {
			m.State = StateCirculating
		}
		return strconv.Itoa(added) + " invited", nil
	})
	return added, err
}

// AddCoauthor adds a co-author, who edits the draft with the drafter.
func (s *Service) AddCoauthor(ctx context.Context, a Actor, id MessageID, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, a, id, ActAddCoauthor, "message.coauthor_added", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "add a co-author to")
		}
		p, err := tx.PersonByEmail(ctx, email)
		if err != nil || !eligibleParticipant(p) {
			return "", &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: "email", Message: "no eligible employee with the address " + email}
		}
		if p.ID == m.DrafterID {
			return "", errInvalid("email", "is_drafter", "the drafter is already an author")
		}
		return "person " + strconv.Itoa(int(p.ID)), ifDuplicate(tx.AddCoauthor(ctx, m.ID, p.ID, now), "email", "already a co-author")
	})
	return err
}

// Sign adds the actor's signature to the current version, whose content
// hash the signer must name. minCosigners > 0 makes the signature
// conditional: it counts, and is shown, only once that many others sign.
// The message returned carries no text (mutateCounts).
func (s *Service) Sign(ctx context.Context, a Actor, id MessageID, contentHash string, minCosigners int) (Message, error) {
	if err := checkHash("content_hash", contentHash); err != nil {
		return Message{}, err
	}
	if minCosigners < 0 || minCosigners >= MaxSigners {
		return Message{}, &Error{Kind: KindInvalid, Code: "out_of_range", Field: "min_cosigners", Limit: MaxSigners - 1,
			Message: "min_cosigners must be between 0 and " + strconv.Itoa(MaxSigners-1)}
	}
	return s.mutateCounts(ctx, a, id, ActSign, "signature.added", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "sign")
		}
		if contentHash != m.ContentHash {
			return "", &Error{Kind: KindConflict, Code: "stale_content_hash", Field: "content_hash",
				Message: "content_hash does not match the current version " + strconv.Itoa(m.Version) + "; read the message again and sign what it says now"}
		}
		if f.Drafter {
			if minCosigners > 0 {
				return "", errInvalid("min_cosigners", "drafter_unconditional", "the drafter's signature cannot be conditional")
			}
			return "", errAlreadySigned()
		}
		q, err := tx.SignatureQuorums(ctx, m.ID, m.Version)
		if err != nil {
			return "", err
		}
		if q.Unconditional+len(q.Conditional) >= MaxSigners {
			return "", &Error{Kind: KindConflict, Code: "too_many_signers", Field: "signatures", Limit: MaxSigners,
				Message: "a message may carry at most " + strconv.Itoa(MaxSigners) + " signatures"}
		}
		if err := tx.InsertSignature(ctx, Signature{MessageID: m.ID, Version: m.Version, PersonID: a.ID, ContentHash: contentHash, MinCosigners: minCosigners, Signed: now}, f.Invitee || f.Coauthor); errors.Is(err, ErrDuplicate) {
			return "", errAlreadySigned()
		} else if err != nil {
			return "", err
		}
		// The new signature plus those read before it: one read, not two.
		if minCosigners > 0 {
			q.Conditional = append(q.Conditional, minCosigners)
		} else {
			q.Unconditional++
		}
		m.SignatureCount = q.Count()
		return "version " + strconv.Itoa(m.Version) + " " + contentHash, nil
	})
}

// Unsign withdraws the actor's signature; possible until submission. The
// message returned carries no text (mutateCounts).
func (s *Service) Unsign(ctx context.Context, a Actor, id MessageID) (Message, error) {
	return s.mutateCounts(ctx, a, id, ActUnsign, "signature.withdrawn", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", &Error{Kind: KindConflict, Code: "signatures_frozen", Field: "state",
				Message: "signatures are frozen once a message is submitted"}
		}
		versions, err := tx.WithdrawSignatures(ctx, m.ID, a.ID, now)
		if err != nil {
			return "", err
		}
		if len(versions) == 0 {
			return "", &Error{Kind: KindConflict, Code: "not_signed", Message: "you hold no signature on this message"}
		}
		detail := "versions"
		for _, v := range versions {
			detail += " " + strconv.Itoa(v)
		}
		return detail, s.recount(ctx, tx, m)
	})
}

// Submit sends the message to the channel office: it freezes the version,
// seals the signatures and starts the clocks. The drafter names the content
// hash of the version they submit.
func (s *Service) Submit(ctx context.Context, a Actor, id MessageID, contentHash string) (Message, error) {
	if err := checkHash("content_hash", contentHash); err != nil {
		return Message{}, err
	}
	return s.mutate(ctx, a, id, ActSubmit, "message.submitted", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "submit")
		}
		if contentHash != m.ContentHash {
			return "", &Error{Kind: KindConflict, Code: "stale_content_hash", Field: "content_hash",
				Message: "content_hash does not match the current version " + strconv.Itoa(m.Version)}
		}
		if err := checkText("body", m.Body.Reveal(), MaxBody, true, true); err != nil {
			return "", &Error{Kind: KindUnprocessable, Code: "required", Field: "body", Message: "a message needs a body before it can be submitted"}
		}
		cal, err := s.officeCalendar(ctx, tx)
		if err != nil {
			return "", err
		}
		if err := s.recount(ctx, tx, m); err != nil {
			return "", err
		}
		m.State = StateSubmitted
		m.SubmittedAt = now
		m.AcknowledgeBy = cal.Due(now, DefaultAckDays)
		m.ReplyDays = DefaultReplyDay
		m.ReplyBy = cal.Due(now, m.ReplyDays)
		if err := s.notifySigners(ctx, tx, NoteReceiptReady, m); err != nil {
			return "", err
		}
		office, err := s.handlers(ctx, tx, *m, false, now)
		if err != nil {
			return "", err
		}
		if err := s.notify(ctx, tx, NoteSubmitted, m.ID, office...); err != nil {
			return "", err
		}
		uncounted, err := uncountedCommitments(ctx, tx, m)
		if err != nil {
			return "", err
		}
		detail := "version " + strconv.Itoa(m.Version) + " " + m.ContentHash + " signatures " + strconv.Itoa(m.SignatureCount)
		if len(uncounted) > 0 {
			detail += " uncounted " + strings.Join(uncounted, ",")
		}
		return detail, nil
	})
}

// Withdraw takes the whole message back; the drafter may do so until the
// channel office acknowledges it.
func (s *Service) Withdraw(ctx context.Context, a Actor, id MessageID) (Message, error) {
	return s.mutate(ctx, a, id, ActWithdraw, "message.withdrawn", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		switch m.State {
		case StateDraft, StateCirculating, StateSubmitted:
			m.State = StateWithdrawn
			return "", nil
		}
		return "", conflictState(*m, "withdraw")
	})
}

// EndorsementRequest asks a chief of mission or supervisor to endorse.
func (s *Service) AskEndorsement(ctx context.Context, a Actor, id MessageID, email string) error {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, a, id, ActAskEndorsement, "endorsement.requested", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateDraft && m.State != StateCirculating && m.State != StateSubmitted {
			return "", conflictState(*m, "ask for an endorsement of")
		}
		p, err := tx.PersonByEmail(ctx, email)
		if err != nil || !eligibleParticipant(p) {
			return "", &Error{Kind: KindUnprocessable, Code: "not_eligible", Field: "email", Message: "no eligible employee with the address " + email}
		}
		return "person " + strconv.Itoa(int(p.ID)), tx.AddEndorser(ctx, m.ID, p.ID, now)
	})
	return err
}

// Endorse records the endorsement the actor was asked for. It never blocks or
// delays submission.
func (s *Service) Endorse(ctx context.Context, a Actor, id MessageID, body string) error {
	if err := checkMarkdownText("body", body, MaxReason, true); err != nil {
		return err
	}
	_, err := s.mutate(ctx, a, id, ActEndorse, "endorsement.given", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if m.State != StateDraft && m.State != StateCirculating && m.State != StateSubmitted {
			return "", conflictState(*m, "endorse")
		}
		return "", tx.SetEndorsement(ctx, Endorsement{MessageID: m.ID, EndorserID: a.ID, Body: NewText(body), Created: now})
	})
	return err
}

// uncountedCommitments lists, for the submission's entry, the actor
// commitments of the conditional signatures on the submitted version whose
// quorum was not met: each such signer's receipt says, and proves, that
// their signature did not count. The commitments are salted, so the list
// names nobody to whoever lacks a receipt.
func uncountedCommitments(ctx context.Context, tx Tx, m *Message) ([]string, error) {
	rows, err := tx.Signers(ctx, m.ID, m.Version, 0)
	if err != nil {
		return nil, err
	}
	mins := make([]int, len(rows))
	for i, r := range rows {
		mins[i] = r.MinCosigners
	}
	th := QuorumThreshold(mins)
	out := map[PersonID]bool{}
	for _, r := range rows {
		if r.MinCosigners > 0 && r.MinCosigners > th {
			out[r.Person.ID] = true
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	events, err := tx.Events(ctx, m.ID, ClassAct)
	if err != nil {
		return nil, err
	}
	want := "version " + strconv.Itoa(m.Version) + " " + m.ContentHash
	last := map[PersonID]string{}
	for _, e := range events {
		if e.Kind == "signature.added" && e.Protected && e.Detail == want && out[e.ActorID] {
			last[e.ActorID] = ActorCommit(e.ActorSalt, e.ActorEmail)
		}
	}
	commits := make([]string, 0, len(last))
	for _, c := range last {
		commits = append(commits, c)
	}
	slices.Sort(commits)
	return commits, nil
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

// Invitations lists the message's invitees for its authors, with which of
// them signed the current version, and the progress.
func (s *Service) Invitations(ctx context.Context, a Actor, id MessageID) ([]InvitationView, Progress, error) {
	var out []InvitationView
	var pr Progress
	err := s.store.View(ctx, func(tx Tx) error {
		m, _, err := s.authorize(ctx, tx, a, id, ActReadInvitations, s.now().UTC())
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

// InviteLinkTx stores invitation links.
type InviteLinkTx interface {
	CreateInviteLink(ctx context.Context, id MessageID, hash []byte, at time.Time) error
	// InviteLinkMessage returns the message an unrevoked link leads to.
	InviteLinkMessage(ctx context.Context, hash []byte) (MessageID, error)
	RevokeInviteLinks(ctx context.Context, id MessageID, at time.Time) (int, error)
}

// inviteLinkPrefix marks the secret of an invitation link.
const inviteLinkPrefix = "dsi_"

// errBadInviteLink is all a caller learns of a link that is malformed,
// unknown, revoked, or leads to a message that can no longer be signed.
var errBadInviteLink = &Error{Kind: KindNotFound, Code: "not_found", Message: "this invitation link is not valid (it may have been revoked, or the message is no longer open for signatures)"}

// Draft is the text a drafter writes. The message model's fields are
// optional: nil leaves them as they are (on a new message: none).
type Draft struct {
	Title   string
	Summary string
	Body    string

	Classification *string
	Topic          *string
	Tier           *string
	Related        *[]string // message ids the drafter may see
}

// SignReminderEvery is the least time between two reminders to the
// invitees of one message.
const SignReminderEvery = 24 * time.Hour
