package dissent

import (
	"context"
	"time"
)

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
