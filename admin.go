package dissent

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the administrator's use cases: the directory of
// organizations, units and people, roles, calendars and credentials, and the
// auditor's overview of the log.
//
// Security properties:
//   - An administrator manages the directory and never reads message text,
//     titles or signer names: nothing here touches a message, and no view
//     says whether a person ever used the channel (SPEC §1: HR-facing views
//     never mention channel use).
//   - An administrator may not grant themselves a content role: officer,
//     director, principal, reviewer, monitor or auditor. Each of these
//     reads something of the channel (text, names, or which messages exist
//     and when), so holding both would let one person both manage people
//     and see their dissent. Employee is not a content role: it opens only
//     one's own messages. Another administrator, or the command line, may
//     grant the role.
//   - The last administrator cannot lose the role, so the deployment always
//     has someone who can manage it.
//   - Every change is an event in the audit log, in the same transaction.

// Page sizes of the directory.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// OrgSummary is an organization with the size of its directory.
type OrgSummary struct {
	Org
	People int
	Units  int
	Office bool // runs the channel office (the first organization)
}

// ListOrgs lists the organizations for an administrator.
func (s *Service) ListOrgs(ctx context.Context, a Actor) ([]OrgSummary, error) {
	if err := permit(a, ActManageDirectory); err != nil {
		return nil, err
	}
	var out []OrgSummary
	err := s.store.View(ctx, func(tx Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		for i, o := range orgs {
			n, err := tx.CountPeople(ctx, o.ID)
			if err != nil {
				return err
			}
			us, err := tx.Units(ctx, o.ID)
			if err != nil {
				return err
			}
			out = append(out, OrgSummary{Org: o, People: n, Units: len(us), Office: i == 0})
		}
		return nil
	})
	return out, err
}

// UnitNode is a unit in its tree, with its depth (0 for a top-level unit).
type UnitNode struct {
	Unit
	Depth int
}

// OrgDetail is one organization's units, as a tree in depth-first order,
// and its calendar.
type OrgDetail struct {
	OrgSummary
	Units    []UnitNode
	Closures []Closure
}

// GetOrg returns one organization's detail for an administrator.
func (s *Service) GetOrg(ctx context.Context, a Actor, id string) (OrgDetail, error) {
	if err := permit(a, ActManageDirectory); err != nil {
		return OrgDetail{}, err
	}
	var d OrgDetail
	err := s.store.View(ctx, func(tx Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(orgs, func(o Org) bool { return o.ID == id })
		if i < 0 {
			return ErrNotFound("organization")
		}
		d.Org, d.Office = orgs[i], i == 0
		if d.People, err = tx.CountPeople(ctx, id); err != nil {
			return err
		}
		us, err := tx.Units(ctx, id)
		if err != nil {
			return err
		}
		d.Units, d.OrgSummary.Units = unitTree(us), len(us)
		d.Closures, err = tx.ClosureList(ctx, id)
		return err
	})
	return d, err
}

// unitTree orders units depth-first under their parents, children by id.
func unitTree(us []Unit) []UnitNode {
	children := map[string][]Unit{}
	known := map[string]bool{}
	for _, u := range us {
		known[u.ID] = true
	}
	for _, u := range us {
		p := u.ParentID
		if !known[p] {
			p = ""
		}
		children[p] = append(children[p], u)
	}
	var out []UnitNode
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		for _, u := range children[parent] {
			if depth > len(us) {
				return // a cycle cannot be made through AddUnit; stop anyway
			}
			out = append(out, UnitNode{Unit: u, Depth: depth})
			walk(u.ID, depth+1)
		}
	}
	walk("", 0)
	return out
}

// PeoplePage is one page of the directory.
type PeoplePage struct {
	People []Person
	Next   string // the After of the next page; "" on the last
	Total  int    // people in the deployment (or the organization asked for)
}

// SearchPeople lists a page of the directory for an administrator: people
// whose e-mail or name starts with q.Prefix, in e-mail order.
func (s *Service) SearchPeople(ctx context.Context, a Actor, q PeopleQuery) (PeoplePage, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return PeoplePage{}, err
	}
	q.Prefix = strings.ToLower(strings.TrimSpace(q.Prefix))
	if err := checkText("q", q.Prefix, MaxEmail, false, false); err != nil {
		return PeoplePage{}, err
	}
	if len(q.After) > MaxEmail {
		return PeoplePage{}, errInvalid("after", "malformed", "after must be an e-mail address")
	}
	if q.Role != "" {
		if _, err := ParseRole(string(q.Role)); err != nil {
			return PeoplePage{}, err
		}
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		return PeoplePage{}, &Error{Kind: KindInvalid, Code: "out_of_range", Field: "limit", Limit: MaxPageSize,
			Message: "limit must be between 1 and " + strconv.Itoa(MaxPageSize)}
	}
	var pg PeoplePage
	err := s.store.View(ctx, func(tx Tx) error {
		want := q.Limit
		q.Limit++
		ps, err := tx.SearchPeople(ctx, q)
		if err != nil {
			return err
		}
		if len(ps) > want {
			ps = ps[:want]
			pg.Next = ps[want-1].Email
		}
		pg.People = ps
		pg.Total, err = tx.CountPeople(ctx, q.OrgID)
		return err
	})
	return pg, err
}

// PersonDetail is what the administrator's page of one person shows: the
// directory entry and credentials, never anything about messages.
type PersonDetail struct {
	Person
	Org        Org
	Unit       Unit   // zero when none
	Supervisor Person // zero when none
	Units      []UnitNode
	Tokens     []TokenInfo
	Links      []SignInLinkRecord
	Requests   []CredentialRequest
}

// PersonDetail returns one person for an administrator.
func (s *Service) PersonDetail(ctx context.Context, a Actor, id PersonID) (PersonDetail, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return PersonDetail{}, err
	}
	var d PersonDetail
	err := s.store.View(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		d.Person = p
		if p.OrgID != "" {
			if d.Org, err = tx.Org(ctx, p.OrgID); err != nil {
				return err
			}
			us, err := tx.Units(ctx, p.OrgID)
			if err != nil {
				return err
			}
			d.Units = unitTree(us)
		}
		if p.UnitID != "" {
			if d.Unit, err = tx.Unit(ctx, p.UnitID); err != nil {
				return err
			}
		}
		if p.SupervisorID != 0 {
			if d.Supervisor, err = tx.Person(ctx, p.SupervisorID); err != nil {
				return err
			}
		}
		recs, err := tx.TokensOf(ctx, id)
		for _, r := range recs {
			d.Tokens = append(d.Tokens, r.info())
		}
		if err != nil {
			return err
		}
		if d.Links, err = tx.SignInLinksOf(ctx, id); err != nil {
			return err
		}
		d.Requests, err = tx.CredentialRequestsOf(ctx, id)
		return err
	})
	return d, err
}

// SetRoles replaces a person's roles. An administrator may not give
// themselves a content role, and the last administrator keeps theirs.
func (s *Service) SetRoles(ctx context.Context, a Actor, id PersonID, roles []Role) (Person, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return Person{}, err
	}
	rs := NormalizeRoles(roles)
	if len(rs) == 0 {
		return Person{}, errInvalid("roles", "required", "at least one role is required")
	}
	var p Person
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Person(ctx, id); err != nil {
			return err
		}
		if a.ID != 0 && a.ID == id {
			for _, r := range rs {
				if !mayGrantSelf(p.Roles, r) {
					return &Error{Kind: KindForbidden, Code: "self_grant", Field: "roles",
						Message: "an administrator may not grant themselves the " + string(r) + " role; ask another administrator"}
				}
			}
		}
		if administers(p.Roles) && !administers(rs) {
			n, err := tx.CountPeopleWithRole(ctx, RoleAdmin)
			if err != nil {
				return err
			}
			if n <= 1 {
				return &Error{Kind: KindConflict, Code: "last_admin", Field: "roles", Message: "this is the last administrator; make another one first"}
			}
		}
		if err := tx.SetRoles(ctx, id, rs); err != nil {
			return err
		}
		p.Roles = rs
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.roles_changed",
			Detail: personDetail(id) + " roles " + rs.String()})
	})
	return p, err
}

// SetSupervisor changes a person's supervisor, by e-mail ("" for none). The
// supervisor must not be the person or report to them.
func (s *Service) SetSupervisor(ctx context.Context, a Actor, id PersonID, email string) error {
	if err := permit(a, ActManagePeople); err != nil {
		return err
	}
	if email = strings.TrimSpace(email); email != "" {
		var err error
		if email, err = NormalizeEmail("supervisor", email); err != nil {
			return err
		}
	}
	return s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		var sup PersonID
		if email != "" {
			sp, err := tx.PersonByEmail(ctx, email)
			if err != nil {
				return errInvalid("supervisor", "unknown_person", "no person %q in the directory", email)
			}
			// Walk up from the new supervisor: meeting the person is a cycle.
			for cur, steps := sp, 0; ; steps++ {
				if cur.ID == p.ID {
					return errInvalid("supervisor", "cycle", "the supervisor %s reports to this person, directly or indirectly; that would make a cycle", email)
				}
				if cur.SupervisorID == 0 || steps > 10_000 {
					break
				}
				if cur, err = tx.Person(ctx, cur.SupervisorID); err != nil {
					return err
				}
			}
			sup = sp.ID
		}
		if err := tx.SetSupervisor(ctx, id, sup); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.supervisor_changed",
			Detail: personDetail(id) + " supervisor " + strconv.FormatInt(int64(sup), 10)})
	})
}

// SetUnit moves a person to a unit of their organization ("" for none).
func (s *Service) SetUnit(ctx context.Context, a Actor, id PersonID, unitID string) error {
	if err := permit(a, ActManagePeople); err != nil {
		return err
	}
	unitID = strings.TrimSpace(unitID)
	if unitID != "" {
		if err := checkID("unit", unitID); err != nil {
			return err
		}
	}
	return s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Person(ctx, id)
		if err != nil {
			return err
		}
		if unitID != "" {
			u, err := tx.Unit(ctx, unitID)
			if err != nil || u.OrgID != p.OrgID {
				return errInvalid("unit", "unknown_unit", "no unit %q in organization %q", unitID, p.OrgID)
			}
		}
		if err := tx.SetUnit(ctx, id, unitID); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.unit_changed",
			Detail: personDetail(id) + " unit " + unitID})
	})
}

// SetTimeZone changes an organization's time zone. Deadlines already set
// keep their dates; new submissions count on the new zone.
func (s *Service) SetTimeZone(ctx context.Context, a Actor, orgID, zone string) error {
	if err := permit(a, ActManageDirectory); err != nil {
		return err
	}
	zone = strings.TrimSpace(zone)
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" || len(zone) > 64 {
		return errInvalid("tz", "unknown_zone", "unknown time zone %q; use an IANA name such as America/New_York", zone)
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.SetOrgTimeZone(ctx, orgID, zone); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "calendar.zone_changed", Detail: orgID + " " + zone})
	})
}

// RemoveClosure removes an extra closure from an organization's calendar.
func (s *Service) RemoveClosure(ctx context.Context, a Actor, orgID, date string) error {
	if err := permit(a, ActManageDirectory); err != nil {
		return err
	}
	if _, err := ParseDate("date", date); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if err := tx.RemoveClosure(ctx, orgID, date); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: a.ID, ActorRole: RoleAdmin, Kind: "calendar.closure_removed", Detail: orgID + " " + date})
	})
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
	return Actor{p}, err
}

// AuditOverview is what the auditor's page shows: the log's size, its
// newest signed checkpoint and recent events, without content.
type AuditOverview struct {
	Size       int64
	Checkpoint string
	Events     []EventView
	Next       int64 // the before of the next (older) page; 0 on the last
}

// AuditOverview returns the auditor's overview, events older than before
// (0 for the newest).
func (s *Service) AuditOverview(ctx context.Context, a Actor, before int64, limit int) (AuditOverview, error) {
	if err := permit(a, ActReadAuditOverview); err != nil {
		return AuditOverview{}, err
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	var o AuditOverview
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if o.Size, err = tx.LogSize(ctx); err != nil {
			return err
		}
		if before <= 0 {
			before = 1 << 62
		}
		es, err := tx.RecentEvents(ctx, before, limit)
		if err != nil {
			return err
		}
		for _, e := range es {
			v := EventView{Index: e.ID, At: e.At, Kind: e.Kind, Role: e.ActorRole, MessageID: e.MessageID, Detail: e.Detail}
			if !e.Protected {
				v.ActorID = e.ActorID
			}
			o.Events = append(o.Events, v)
		}
		if len(es) == limit && es[len(es)-1].ID > 0 {
			o.Next = es[len(es)-1].ID
		}
		return nil
	})
	if err != nil {
		return o, err
	}
	if s.audit != nil && o.Size > 0 {
		// The newest published checkpoint; none yet is no error.
		cp, err := s.audit.Checkpoint(ctx)
		if err != nil && ErrorKind(err) != KindNotFound {
			return o, err
		}
		o.Checkpoint = string(cp)
	}
	return o, nil
}
