package dissent

import (
	"context"
	"slices"
	"strings"
	"time"
)

// This file holds the directory: organizations, units, time zones and
// calendars (closures). An administrator manages it and never reads message
// text, titles or signer names: nothing here touches a message (SPEC §1:
// HR-facing views never mention channel use). Every change is an event in
// the audit log, in the same transaction.

// DirectoryTx is the part of Tx that the administrator's pages and the
// auditor's overview need: listing and changing the directory (units,
// people, roles, calendars) and reading recent events. None of its methods
// touches a message, a signature or a name tied to one, so that nothing the
// administrator sees can tell who used the channel.
type DirectoryTx interface {
	// Units lists an organization's units, ordered by id.
	Units(ctx context.Context, orgID string) ([]Unit, error)
	// SearchPeople lists people in e-mail order after q.After, at most
	// q.Limit of them, whose e-mail or name starts with q.Prefix (case
	// folded; "" matches everyone), in q.OrgID and holding q.Role when set.
	SearchPeople(ctx context.Context, q PeopleQuery) ([]Person, error)
	// CountPeople counts the people of an organization ("" for all).
	CountPeople(ctx context.Context, orgID string) (int, error)
	// SetRoles replaces a person's roles.
	SetRoles(ctx context.Context, id PersonID, roles Roles) error
	// SetUnit moves a person to a unit ("" for none).
	SetUnit(ctx context.Context, id PersonID, unitID string) error
	// SetOrgTimeZone changes an organization's time zone.
	SetOrgTimeZone(ctx context.Context, orgID, zone string) error
	// ClosureList lists an organization's extra closures with their reasons.
	ClosureList(ctx context.Context, orgID string) ([]Closure, error)
	// RemoveClosure removes one closure; a day that is not one is NotFound.
	RemoveClosure(ctx context.Context, orgID, date string) error
	// RecentEvents lists up to limit events with an index below before,
	// newest first, without their sealed actors.
	RecentEvents(ctx context.Context, before int64, limit int) ([]Event, error)
}

// PeopleQuery selects a page of the directory.
type PeopleQuery struct {
	Prefix string // lowercase prefix of the e-mail or the name
	OrgID  string
	Role   Role
	After  string // the last e-mail of the previous page
	Limit  int
}

// Closure is an extra day off on an organization's calendar.
type Closure struct {
	Date   string // YYYY-MM-DD
	Reason string
}

// EventView is an event as the auditor's overview lists it: what happened,
// when and under which role, never content and never a sealed actor.
type EventView struct {
	Index     int64
	At        time.Time
	Kind      string
	Role      Role
	ActorID   PersonID // 0 for the system or a protected (sealed) actor
	MessageID MessageID
	Detail    string
}

// AddOrg adds an organization. The first organization added runs the
// channel office, and its calendar counts the deadlines.
func (s *Service) AddOrg(ctx context.Context, actor Actor, in OrgInput) (Org, error) {
	if err := permit(actor, ActManageDirectory); err != nil {
		return Org{}, err
	}
	if err := checkID("id", in.ID); err != nil {
		return Org{}, err
	}
	if err := checkLabel("name", in.Name, MaxName, true); err != nil {
		return Org{}, err
	}
	if in.TimeZone == "" {
		in.TimeZone = "America/New_York"
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "Local" {
		return Org{}, errInvalid("tz", "unknown_zone", "unknown time zone %q; use an IANA name such as America/New_York", in.TimeZone)
	}
	o := Org{ID: in.ID, Name: in.Name, TimeZone: in.TimeZone, Created: s.now().UTC()}
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return ifDuplicate(err, "id", "an organization with id %s already exists", o.ID)
		}
		return tx.AppendEvent(ctx, Event{At: o.Created, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "org.added", Detail: o.ID})
	})
	return o, err
}

// AddUnit adds a unit to an organization.
func (s *Service) AddUnit(ctx context.Context, actor Actor, in UnitInput) (Unit, error) {
	if err := permit(actor, ActManageDirectory); err != nil {
		return Unit{}, err
	}
	if err := checkID("id", in.ID); err != nil {
		return Unit{}, err
	}
	if err := checkLabel("name", in.Name, MaxName, true); err != nil {
		return Unit{}, err
	}
	u := Unit(in)
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Org(ctx, in.OrgID); err != nil {
			return errInvalid("org", "unknown_org", "no organization %q", in.OrgID)
		}
		if in.ParentID != "" {
			p, err := tx.Unit(ctx, in.ParentID)
			if err != nil || p.OrgID != in.OrgID {
				return errInvalid("parent", "unknown_unit", "no unit %q in organization %q", in.ParentID, in.OrgID)
			}
		}
		if err := tx.CreateUnit(ctx, u); err != nil {
			return ifDuplicate(err, "id", "a unit with id %s already exists", u.ID)
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "unit.added", Detail: u.ID})
	})
	return u, err
}

// AddClosure adds an extra closure (e.g. an executive-order closing) to an
// organization's calendar.
func (s *Service) AddClosure(ctx context.Context, actor Actor, orgID, date, reason string) error {
	if err := permit(actor, ActManageDirectory); err != nil {
		return err
	}
	if _, err := ParseDate("date", date); err != nil {
		return err
	}
	if err := checkText("reason", reason, MaxReason, false, false); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Org(ctx, orgID); err != nil {
			return errInvalid("org", "unknown_org", "no organization %q", orgID)
		}
		if err := tx.AddClosure(ctx, orgID, date, reason); err != nil {
			return ifDuplicate(err, "date", "that day is already a closure")
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "calendar.closure_added", Detail: orgID + " " + date})
	})
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

// OrgSummary is an organization with the size of its directory.
type OrgSummary struct {
	Org
	People int
	Units  int
	Office bool // runs the channel office (the first organization)
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
