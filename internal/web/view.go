package web

import (
	"time"

	"github.com/dissent-channel/dissent"
)

// The JSON shapes of the API. Protected fields are present only when the
// caller may read them.

type messageJSON struct {
	ID              string             `json:"id"`
	State           dissent.State      `json:"state"`
	Org             string             `json:"org"`
	Title           *string            `json:"title,omitempty"`
	Summary         *string            `json:"summary,omitempty"`
	Body            *string            `json:"body,omitempty"`
	Version         int                `json:"version"`
	ContentHash     string             `json:"content_hash"`
	SignatureCount  int                `json:"signature_count"`
	CreatedAt       *string            `json:"created_at"`
	UpdatedAt       *string            `json:"updated_at"`
	SubmittedAt     *string            `json:"submitted_at"`
	AcknowledgeBy   *string            `json:"acknowledge_by"`
	ReplyBy         *string            `json:"reply_by"`
	ReplyDays       int                `json:"reply_working_days"`
	ExtensionReason *string            `json:"extension_reason,omitempty"`
	AcknowledgedAt  *string            `json:"acknowledged_at"`
	RepliedAt       *string            `json:"replied_at"`
	ClosedAt        *string            `json:"closed_at"`
	RedirectedTo    string             `json:"redirected_to,omitempty"`
	RedirectReason  *string            `json:"redirect_reason,omitempty"`
	Replies         []replyJSON        `json:"replies,omitempty"`
	Endorsements    []endorsementJSON  `json:"endorsements,omitempty"`
	Consultations   []consultationJSON `json:"consultations,omitempty"`
	Meetings        []meetingJSON      `json:"meetings,omitempty"`
	Relation        []string           `json:"relation,omitempty"`
}

type replyJSON struct {
	ID         int64   `json:"id"`
	Body       string  `json:"body"`
	CreatedAt  *string `json:"created_at"`
	ApprovedAt *string `json:"approved_at"`
}

type endorsementJSON struct {
	Body      string  `json:"body"`
	CreatedAt *string `json:"created_at"`
}

type consultationJSON struct {
	ID         int64   `json:"id"`
	Due        *string `json:"due"`
	CreatedAt  *string `json:"created_at"`
	Input      string  `json:"input,omitempty"`
	AnsweredAt *string `json:"answered_at"`
}

type meetingJSON struct {
	ID         int64   `json:"id"`
	HeldOn     string  `json:"held_on"`
	Notes      string  `json:"notes"`
	RecordedAt *string `json:"recorded_at"`
}

func ts(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// date formats a deadline as its date in the zone it was computed in (the
// channel office's).
func date(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}

func text(t dissent.Text) *string {
	s := t.Reveal()
	return &s
}

func optText(t dissent.Text) *string {
	if t.Len() == 0 {
		return nil
	}
	return text(t)
}

func messageOut(m dissent.Message) messageJSON {
	return messageJSON{
		ID: string(m.ID), State: m.State, Org: m.OrgID, Version: m.Version, ContentHash: m.ContentHash,
		SignatureCount: m.SignatureCount, CreatedAt: ts(m.Created), UpdatedAt: ts(m.Updated), SubmittedAt: ts(m.SubmittedAt),
		AcknowledgeBy: date(m.AcknowledgeBy), ReplyBy: date(m.ReplyBy), ReplyDays: m.ReplyDays,
		AcknowledgedAt: ts(m.AcknowledgedAt), RepliedAt: ts(m.RepliedAt), ClosedAt: ts(m.ClosedAt), RedirectedTo: m.RedirectTo,
	}
}

// messageWithText is a message for a caller who may read it (its author, or
// the result of a write they were allowed to make).
func messageWithText(m dissent.Message) messageJSON {
	j := messageOut(m)
	j.Title, j.Summary, j.Body = text(m.Title), text(m.Summary), text(m.Body)
	j.ExtensionReason, j.RedirectReason = optText(m.ExtensionNote), optText(m.RedirectNote)
	return j
}

func viewOut(v dissent.MessageView) messageJSON {
	var j messageJSON
	if v.Text {
		j = messageWithText(v.Message)
	} else {
		j = messageOut(v.Message)
	}
	for _, r := range v.Replies {
		j.Replies = append(j.Replies, replyJSON{ID: r.ID, Body: r.Body.Reveal(), CreatedAt: ts(r.Created), ApprovedAt: ts(r.ApprovedAt)})
	}
	for _, e := range v.Endorsements {
		j.Endorsements = append(j.Endorsements, endorsementJSON{Body: e.Body.Reveal(), CreatedAt: ts(e.Created)})
	}
	for _, c := range v.Consultations {
		j.Consultations = append(j.Consultations, consultationJSON{ID: c.ID, Due: date(c.Due), CreatedAt: ts(c.Created), Input: c.Input.Reveal(), AnsweredAt: ts(c.AnsweredAt)})
	}
	for _, m := range v.Meetings {
		j.Meetings = append(j.Meetings, meetingJSON{ID: m.ID, HeldOn: m.HeldOn, Notes: m.Notes.Reveal(), RecordedAt: ts(m.Recorded)})
	}
	f := v.Facts
	for _, x := range []struct {
		on   bool
		name string
	}{{f.Drafter, "drafter"}, {f.Coauthor, "coauthor"}, {f.Signer, "signer"}, {f.Invitee, "invitee"}, {f.Endorser, "endorser"},
		{f.Consulted, "reviewer"}, {f.Distributed, "principal"}} {
		if x.on {
			j.Relation = append(j.Relation, x.name)
		}
	}
	return j
}

type signerJSON struct {
	Email        string  `json:"email"`
	Name         string  `json:"name"`
	Org          string  `json:"org"`
	Conditional  bool    `json:"conditional"`
	MinCosigners int     `json:"min_cosigners,omitempty"`
	SignedAt     *string `json:"signed_at"`
}

func signersJSON(ss []dissent.SignerView) []signerJSON {
	out := make([]signerJSON, len(ss))
	for i, x := range ss {
		out[i] = signerJSON{Email: x.Email, Name: x.Name, Org: x.OrgID, Conditional: x.Conditional, MinCosigners: x.MinCosigners, SignedAt: ts(x.Signed)}
	}
	return out
}

type accessJSON struct {
	At   *string      `json:"at"`
	What string       `json:"what"`
	Role dissent.Role `json:"role"`
	Org  string       `json:"org,omitempty"`
	Unit string       `json:"unit,omitempty"`
	Name string       `json:"name,omitempty"`
}
