package dissent

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds people's accounts: who may issue a credential for whom,
// notices about one's own account, and deactivation (issues 11 part 3 and 14).
//
// Security properties (no single administrator can act as another person):
//   - An administrator on the web may issue a first sign-in link only to an
//     account that has never signed in or used a token (Person.Activated).
//     When the deployment sends e-mail, the link goes to the person by
//     e-mail and is never shown to the administrator.
//   - Every later credential comes from the person themself (passkeys,
//     tokens on their account page), or from two administrators: one asks
//     (RequestSignInLink), another approves (ApproveSignInLink), and only
//     then is a link issued, e-mailed to the person.
//   - No administrator issues an API token for another person on the web;
//     the command line on the server (the System actor, who holds the keys)
//     may, and its acts are logged and notified the same way.
//   - Each guard runs in the transaction that issues the credential, so no
//     sign-in can slip between the check and the issue.
//   - Every credential issued for a person is an account notice to them (on
//     their account page and by e-mail) and is listed on their account page.
//   - A deactivated person cannot sign in or use a token: deactivation ends
//     their sessions, revokes their tokens and spends their links at once,
//     in one transaction; their signatures and history stay.

// AccountTx is the part of Tx that accounts need.
type AccountTx interface {
	// MarkActivated records that the person has signed in or used a token.
	MarkActivated(ctx context.Context, id PersonID) error
	// SetDeactivated deactivates a person on day, or with a zero day
	// reactivates them.
	SetDeactivated(ctx context.Context, id PersonID, day time.Time) error
	// UpdatePerson changes a person's e-mail, name, organization and unit.
	// A duplicate e-mail is a Conflict.
	UpdatePerson(ctx context.Context, p Person) error
	// RevokeTokensOf revokes every unrevoked token of a person.
	RevokeTokensOf(ctx context.Context, id PersonID, at time.Time) (int, error)
	// SpendSignInLinksOf marks every unused link of a person used.
	SpendSignInLinksOf(ctx context.Context, id PersonID, at time.Time) (int, error)
	// CreateSignInLinkBy stores a link's hash, who issued it and the day.
	CreateSignInLinkBy(ctx context.Context, l SignInLinkRecord) error
	// SignInLinksOf lists a person's links, newest first.
	SignInLinksOf(ctx context.Context, id PersonID) ([]SignInLinkRecord, error)
	// AddCredentialRequest stores a request and returns its id.
	AddCredentialRequest(ctx context.Context, r CredentialRequest) (int64, error)
	// CredentialRequest returns one request, or NotFound.
	CredentialRequest(ctx context.Context, id int64) (CredentialRequest, error)
	// CredentialRequestsOf lists a person's requests, newest first.
	CredentialRequestsOf(ctx context.Context, id PersonID) ([]CredentialRequest, error)
	// OpenCredentialRequests lists the requests awaiting a decision, oldest
	// first, at most limit.
	OpenCredentialRequests(ctx context.Context, limit int) ([]CredentialRequest, error)
	// DecideCredentialRequest closes an open request; a closed one is a
	// Conflict.
	DecideCredentialRequest(ctx context.Context, id int64, by PersonID, day time.Time, approved bool) error
	// AddAccountNotice stores a notice; with mail it queues its e-mail,
	// carrying link (sealed until sent) when it is not empty.
	AddAccountNotice(ctx context.Context, n AccountNotice, mail bool, link Secret) error
	// AccountNotices lists a person's notices, newest first.
	AccountNotices(ctx context.Context, id PersonID, limit int) ([]AccountNotice, error)
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

// Open reports whether the request awaits a decision.
func (r CredentialRequest) Open() bool { return r.Decided.IsZero() }

// AccountNotice tells a person of something done to their own account.
type AccountNotice struct {
	ID       int64
	PersonID PersonID
	Kind     string
	Created  time.Time // the day
}

// The kinds of account notice.
const (
	NoticeLinkIssued     = "signin_link.issued"   // a sign-in link was issued for you
	NoticeLinkMailed     = "signin_link.mailed"   // here is your sign-in link (the e-mail carries it)
	NoticeLinkRequested  = "credential.requested" // an administrator asked for a sign-in link for you
	NoticeTokenIssued    = "token.issued"         // the operator issued an API token for you
	NoticeTokenCreated   = "token.created"        // an API token was created on your account
	NoticePasskeyAdded   = "passkey.added"        // a passkey was added to your account
	NoticeDeactivated    = "account.deactivated"
	NoticeEmailChanged   = "account.email_changed"
	NoticeReactivated    = "account.reactivated"
	maxAccountNoticePage = 50
)

// AccountNoticeText is the sentence a notice shows and sends, by kind. It
// names nobody and no message.
func AccountNoticeText(kind string) string {
	switch kind {
	case NoticeLinkIssued:
		return "A one-time sign-in link was issued for your Dissent account."
	case NoticeLinkMailed:
		return "Here is your one-time sign-in link to Dissent. It works once, for 24 hours."
	case NoticeLinkRequested:
		return "An administrator asked for a new sign-in link for your Dissent account; a second administrator must approve it."
	case NoticeTokenIssued:
		return "An API token was issued for your Dissent account on the server."
	case NoticeTokenCreated:
		return "An API token was created on your Dissent account."
	case NoticePasskeyAdded:
		return "A passkey was added to your Dissent account."
	case NoticeDeactivated:
		return "Your Dissent account was deactivated."
	case NoticeEmailChanged:
		return "An administrator changed the e-mail address of your Dissent account."
	case NoticeReactivated:
		return "Your Dissent account was reactivated."
	}
	return "Something changed on your Dissent account."
}

// Text is the notice's sentence.
func (n AccountNotice) Text() string { return AccountNoticeText(n.Kind) }

// day is t's day: 00:00 UTC.
func day(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// noticeAccount tells person of kind, in tx; the e-mail is queued unless
// the deployment sends none (it is shown on the account page anyway).
func (s *Service) noticeAccount(ctx context.Context, tx Tx, person PersonID, kind string, link Secret) error {
	if person == 0 {
		return nil
	}
	return tx.AddAccountNotice(ctx, AccountNotice{PersonID: person, Kind: kind, Created: day(s.now())}, s.mail, link)
}

// LinkIssue is the outcome of issuing a sign-in link: the secret, when it
// may be shown to whoever issued it, or Mailed when it went to the person by
// e-mail only.
type LinkIssue struct {
	Secret Secret
	Mailed bool
}

func errRefused(code, msg string) *Error {
	return &Error{Kind: KindForbidden, Code: code, Message: msg}
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

// PendingRequest is an open request with the e-mail of its person, for the
// administrators' overview.
type PendingRequest struct {
	CredentialRequest
	Email string
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

// AccountView is what a person's account page shows of their credentials
// and of what was done to their account.
type AccountView struct {
	Links    []SignInLinkRecord
	Requests []CredentialRequest
	Notices  []AccountNotice
}

// Account returns the actor's own account view.
func (s *Service) Account(ctx context.Context, a Actor) (AccountView, error) {
	var v AccountView
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if v.Links, err = tx.SignInLinksOf(ctx, a.ID); err != nil {
			return err
		}
		if v.Requests, err = tx.CredentialRequestsOf(ctx, a.ID); err != nil {
			return err
		}
		v.Notices, err = tx.AccountNotices(ctx, a.ID, maxAccountNoticePage)
		return err
	})
	return v, err
}

// --- the life cycle ---

// DeactivatePerson deactivates a person: their sessions end, their tokens
// are revoked and their links spent, in one transaction; their signatures
// and history stay. The last active administrator cannot be deactivated,
// nor can an administrator deactivate themselves.
func (s *Service) DeactivatePerson(ctx context.Context, a Actor, id PersonID) error {
	if err := permit(a, ActManagePeople); err != nil {
		return err
	}
	if a.ID != 0 && a.ID == id {
		return errRefused("self", "an administrator cannot deactivate themselves; ask another administrator")
	}
	return s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		if !p.Active() {
			return errConflict("deactivated", "the account of %s is already deactivated", p.Email)
		}
		if administers(p.Roles) {
			n, err := s.activeAdmins(ctx, tx)
			if err != nil {
				return err
			}
			if n <= 1 {
				return errConflict("last_admin", "this is the last active administrator; make another one first")
			}
		}
		return s.deactivate(ctx, tx, a, p)
	})
}

// deactivate deactivates p in tx: see DeactivatePerson.
func (s *Service) deactivate(ctx context.Context, tx Tx, a Actor, p Person) error {
	id := p.ID
	{
		now := s.now().UTC()
		if err := tx.SetDeactivated(ctx, id, day(now)); err != nil {
			return err
		}
		sessions, err := tx.DeleteSessionsOf(ctx, id)
		if err != nil {
			return err
		}
		tokens, err := tx.RevokeTokensOf(ctx, id, now)
		if err != nil {
			return err
		}
		links, err := tx.SpendSignInLinksOf(ctx, id, now)
		if err != nil {
			return err
		}
		reqs, err := tx.CredentialRequestsOf(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range reqs {
			if r.Open() {
				if err := tx.DecideCredentialRequest(ctx, r.ID, a.ID, day(now), false); err != nil {
					return err
				}
			}
		}
		if err := tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.deactivated",
			Detail: personDetail(id) + " sessions " + strconv.Itoa(sessions) + " tokens " + strconv.Itoa(tokens) + " links " + strconv.Itoa(links)}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, id, NoticeDeactivated, Secret{})
	}
}

// ReactivatePerson undoes a deactivation. No credential comes back: a
// person who had signed in before needs a link approved by two
// administrators, or one from the command line.
func (s *Service) ReactivatePerson(ctx context.Context, a Actor, id PersonID) error {
	if err := permit(a, ActManagePeople); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		if p.Active() {
			return errConflict("active", "the account of %s is not deactivated", p.Email)
		}
		if err := tx.SetDeactivated(ctx, id, time.Time{}); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.reactivated", Detail: personDetail(id)}); err != nil {
			return err
		}
		return s.noticeAccount(ctx, tx, id, NoticeReactivated, Secret{})
	})
}

func (s *Service) activeAdmins(ctx context.Context, tx Tx) (int, error) {
	ps, err := tx.SearchPeople(ctx, PeopleQuery{Role: RoleAdmin, Limit: 1000})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range ps {
		if p.Active() {
			n++
		}
	}
	return n, nil
}

// PersonUpdate is a change to a person's directory entry; empty fields stay
// as they are, except UnitID, which ClearUnit empties.
type PersonUpdate struct {
	Email, Name, OrgID, UnitID string
	ClearUnit                  bool
}

// UpdatePerson changes a person's e-mail, name, organization or unit. A
// new organization without a unit of it leaves the person without a unit.
func (s *Service) UpdatePerson(ctx context.Context, a Actor, id PersonID, in PersonUpdate) (Person, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return Person{}, err
	}
	var err error
	if in.Email != "" {
		if in.Email, err = NormalizeEmail("email", in.Email); err != nil {
			return Person{}, err
		}
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name != "" {
		if err := checkText("name", in.Name, MaxName, false, true); err != nil {
			return Person{}, err
		}
	}
	var p Person
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		var changed []string
		if in.Email != "" && in.Email != p.Email {
			p.Email, changed = in.Email, append(changed, "email")
		}
		if in.Name != "" && in.Name != p.Name {
			p.Name, changed = in.Name, append(changed, "name")
		}
		if in.OrgID != "" && in.OrgID != p.OrgID {
			if _, err := tx.Org(ctx, in.OrgID); err != nil {
				return errInvalid("org", "unknown_org", "no organization %q", in.OrgID)
			}
			p.OrgID, changed = in.OrgID, append(changed, "org")
			if in.UnitID == "" && p.UnitID != "" {
				p.UnitID, changed = "", append(changed, "unit")
			}
		}
		if in.ClearUnit && p.UnitID != "" {
			p.UnitID, changed = "", append(changed, "unit")
		}
		if in.UnitID != "" && in.UnitID != p.UnitID {
			u, err := tx.Unit(ctx, in.UnitID)
			if err != nil || u.OrgID != p.OrgID {
				return errInvalid("unit", "unknown_unit", "no unit %q in organization %q", in.UnitID, p.OrgID)
			}
			p.UnitID, changed = in.UnitID, append(changed, "unit")
		}
		if len(changed) == 0 {
			return nil
		}
		if err := tx.UpdatePerson(ctx, p); err != nil {
			return err
		}
		if err := tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.updated",
			Detail: personDetail(id) + " " + strings.Join(changed, ",")}); err != nil {
			return err
		}
		if slices.Contains(changed, "email") {
			return s.noticeAccount(ctx, tx, id, NoticeEmailChanged, Secret{})
		}
		return nil
	})
	return p, err
}

// PersonByEmail returns one person for an administrator (the command line).
func (s *Service) PersonByEmail(ctx context.Context, a Actor, email string) (Person, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return Person{}, err
	}
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Person{}, err
	}
	var p Person
	err = s.store.View(ctx, func(tx Tx) error {
		p, err = personByEmail(ctx, tx, email)
		return err
	})
	return p, err
}

// personByEmail finds, in tx, the person an administrator names by e-mail.
func personByEmail(ctx context.Context, tx Tx, email string) (Person, error) {
	p, err := tx.PersonByEmail(ctx, email)
	if err != nil {
		return Person{}, errInvalid("email", "unknown_person", "no person %q in the directory", email)
	}
	return p, nil
}

// errDeactivated is how a deactivated person's credential is refused: like
// any other bad credential.
func errDeactivated() *Error {
	return errBadCredential("deactivated", "this account is deactivated; ask your administrator")
}
