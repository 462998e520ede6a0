package dissent

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds people: adding and importing them, roles, supervisors
// and units, searching the directory, the first administrator (Bootstrap),
// and each person's account life cycle (notices, update, deactivation).
//
// Security properties:
//   - An administrator may not grant themselves a content role: officer,
//     director, principal, reviewer, monitor or auditor. Each of these
//     reads something of the channel (text, names, or which messages exist
//     and when), so holding both would let one person both manage people
//     and see their dissent. Employee is not a content role: it opens only
//     one's own messages. Another administrator, or the command line, may
//     grant the role.
//   - The last administrator cannot lose the role, so the deployment always
//     has someone who can manage it.
//   - No view says whether a person ever used the channel.
//   - A deactivated person cannot sign in or use a token: deactivation ends
//     their sessions, revokes their tokens and spends their links at once,
//     in one transaction; their signatures and history stay.
//   - Every change is an event in the audit log, in the same transaction,
//     and every change to a person's account is an account notice to them.

// AddPeople adds people to the directory in one transaction: either all are
// added or none. A row's error names the row (people[i]) and the field.
func (s *Service) AddPeople(ctx context.Context, actor Actor, in []PersonInput) ([]NewPerson, error) {
	if err := permit(actor, ActManagePeople); err != nil {
		return nil, err
	}
	for _, p := range in {
		if p.WantToken {
			if err := permit(actor, ActIssueToken); err != nil {
				return nil, err
			}
		}
	}
	now := s.now().UTC()
	rows := make([]PersonInput, len(in))
	for i, p := range in {
		var err error
		at := func(e error) error {
			if de, ok := e.(*Error); ok && len(in) > 1 {
				de.Field = fieldIndex("people", i) + "." + de.Field
				de.Message = "row " + strconv.Itoa(i+1) + ": " + de.Message
			}
			return e
		}
		if p.Email, err = NormalizeEmail("email", p.Email); err != nil {
			return nil, at(err)
		}
		if err := checkLabel("name", p.Name, MaxName, true); err != nil {
			return nil, at(err)
		}
		if p.Supervisor != "" {
			if p.Supervisor, err = NormalizeEmail("supervisor", p.Supervisor); err != nil {
				return nil, at(err)
			}
		}
		p.Roles = NormalizeRoles(p.Roles)
		if len(p.Roles) == 0 {
			return nil, at(errInvalid("roles", "required", "at least one role is required"))
		}
		rows[i] = p
	}
	out := make([]NewPerson, len(rows))
	err := s.store.Update(ctx, func(tx Tx) error {
		at := func(i int, e error) error {
			if de, ok := e.(*Error); ok && len(rows) > 1 {
				de.Field = fieldIndex("people", i) + "." + de.Field
				de.Message = "row " + strconv.Itoa(i+1) + ": " + de.Message
			}
			return e
		}
		byEmail := make(map[string]int, len(rows))
		for i, p := range rows {
			if j, dup := byEmail[p.Email]; dup {
				return at(i, errInvalid("email", "duplicate", "%s appears twice (rows %d and %d)", p.Email, j+1, i+1))
			}
			byEmail[p.Email] = i
			if _, err := tx.Org(ctx, p.OrgID); err != nil {
				return at(i, errInvalid("org", "unknown_org", "no organization %q", p.OrgID))
			}
			if p.UnitID != "" {
				u, err := tx.Unit(ctx, p.UnitID)
				if err != nil || u.OrgID != p.OrgID {
					return at(i, errInvalid("unit", "unknown_unit", "no unit %q in organization %q", p.UnitID, p.OrgID))
				}
			}
			person := Person{Email: p.Email, Name: p.Name, OrgID: p.OrgID, UnitID: p.UnitID, Roles: p.Roles, Created: now}
			id, err := tx.CreatePerson(ctx, person)
			if err != nil {
				return at(i, ifDuplicate(err, "email", "a person with e-mail %s already exists", p.Email))
			}
			person.ID = id
			out[i] = NewPerson{Person: person}
			if p.WantToken {
				tok := newToken("dsn_")
				if err := tx.CreateToken(ctx, id, TokenHash(tok), now); err != nil {
					return err
				}
				out[i].Token = tok
				if err := s.noticeAccount(ctx, tx, id, NoticeTokenIssued, Secret{}); err != nil {
					return err
				}
			}
			if err := tx.AppendEvent(ctx, Event{At: now, ActorID: actor.ID, ActorRole: RoleAdmin, Kind: "person.added", Detail: "person " + strconv.Itoa(int(id)) + " roles " + Roles(p.Roles).String()}); err != nil {
				return err
			}
		}
		// Supervisors second, so that a file may name a supervisor on a
		// later row; only the new rows can form a cycle.
		for i, p := range rows {
			if p.Supervisor == "" {
				continue
			}
			if p.Supervisor == p.Email {
				return at(i, errInvalid("supervisor", "self", "a person cannot supervise themselves"))
			}
			sup, err := tx.PersonByEmail(ctx, p.Supervisor)
			if err != nil {
				return at(i, errInvalid("supervisor", "unknown_person", "no person %q in the directory or the import", p.Supervisor))
			}
			if err := tx.SetSupervisor(ctx, out[i].ID, sup.ID); err != nil {
				return err
			}
			out[i].SupervisorID = sup.ID
		}
		for i := range rows {
			seen := map[int]bool{i: true}
			for j := i; rows[j].Supervisor != ""; {
				k, ok := byEmail[rows[j].Supervisor]
				if !ok {
					break
				}
				if seen[k] {
					return at(i, errInvalid("supervisor", "cycle", "the supervisors of %s form a cycle", rows[i].Email))
				}
				seen[k] = true
				j = k
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountAdmins returns how many administrators the directory holds.
func (s *Service) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		n, err = tx.CountPeopleWithRole(ctx, RoleAdmin)
		return err
	})
	return n, err
}

// Bootstrap makes a new deployment's first administrator, who belongs to no
// organization yet, and returns a one-time sign-in secret for them. It fails
// with a Conflict once an administrator exists.
func (s *Service) Bootstrap(ctx context.Context, email string) (Secret, error) {
	email, err := NormalizeEmail("email", email)
	if err != nil {
		return Secret{}, err
	}
	sec := newToken("dsl_")
	err = s.store.Update(ctx, func(tx Tx) error {
		n, err := tx.CountPeopleWithRole(ctx, RoleAdmin)
		if err != nil {
			return err
		}
		if n > 0 {
			return errConflict("initialized", "this deployment already has an administrator")
		}
		now := s.now().UTC()
		id, err := tx.CreatePerson(ctx, Person{Email: email, Name: "Administrator", Roles: Roles{RoleAdmin}, Created: now})
		if err != nil {
			return ifDuplicate(err, "email", "a person with e-mail %s already exists", email)
		}
		if err := tx.CreateSignInLink(ctx, id, TokenHash(sec), now.Add(SignInLinkTTL)); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, Event{At: now, Kind: "deployment.initialized", Detail: "person " + strconv.Itoa(int(id))})
	})
	return sec, err
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

// ImportPeople adds (and with Sync, updates and deactivates) people from an
// import file in one transaction: all or nothing. rows came from lines of
// the file (ParsePeopleCSVLines). Every problem is reported at once, each
// once, as LineErrors naming the file's line and column. The sync never
// removes the admin role (an HR file does not know who administers
// Dissent), and an administrator may not give themselves a content role
// through it.
func (s *Service) ImportPeople(ctx context.Context, a Actor, rows []PersonInput, lines []int, opt ImportOptions) (ImportReport, error) {
	if err := permit(a, ActManagePeople); err != nil {
		return ImportReport{}, err
	}
	if opt.DeactivateMissing && !opt.Sync {
		return ImportReport{}, errInvalid("deactivate_missing", "needs_sync", "--deactivate-missing needs --sync")
	}
	lineOf := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return i + 2
	}
	for i, p := range rows {
		if p.WantToken {
			if err := permit(a, ActIssueToken); err != nil {
				return ImportReport{}, err
			}
		}
		rows[i].Roles = NormalizeRoles(p.Roles)
	}
	rep := ImportReport{DryRun: opt.DryRun}
	err := s.store.Update(ctx, func(tx Tx) error {
		var errs LineErrors
		fail := func(i int, field, msg string) {
			errs = append(errs, LineError{Line: lineOf(i), Field: field, Message: msg})
		}
		byEmail := make(map[string]int, len(rows))
		emails := make([]string, 0, len(rows))
		for i, p := range rows {
			if j, dup := byEmail[p.Email]; dup {
				fail(i, "email", p.Email+" is also on line "+strconv.Itoa(lineOf(j)))
				continue
			}
			byEmail[p.Email] = i
			emails = append(emails, p.Email)
			if p.Supervisor != "" {
				emails = append(emails, p.Supervisor)
			}
		}
		known, err := tx.PeopleByEmail(ctx, emails)
		if err != nil {
			return err
		}
		orgs, units := map[string]bool{}, map[string]Unit{}
		for i, p := range rows {
			if byEmail[p.Email] != i {
				continue
			}
			ok, seen := orgs[p.OrgID]
			if !seen {
				_, err := tx.Org(ctx, p.OrgID)
				ok = err == nil
				orgs[p.OrgID] = ok
			}
			if !ok {
				fail(i, "org", "no organization \""+p.OrgID+"\"")
			}
			if p.UnitID != "" {
				u, seen := units[p.UnitID]
				if !seen {
					u, _ = tx.Unit(ctx, p.UnitID)
					units[p.UnitID] = u
				}
				if ok && u.OrgID != p.OrgID {
					fail(i, "unit", "no unit \""+p.UnitID+"\" in organization \""+p.OrgID+"\"")
				}
			}
			old, exists := known[p.Email]
			if exists && !opt.Sync {
				fail(i, "email", p.Email+" is already in the directory (to update the people already there, sync: `dissent user import --sync`)")
			}
			if exists && a.ID != 0 && old.ID == a.ID {
				for _, r := range p.Roles {
					if !mayGrantSelf(old.Roles, r) {
						fail(i, "roles", "an administrator may not grant themselves the "+string(r)+" role; ask another administrator")
					}
				}
			}
			if p.Supervisor != "" {
				_, inFile := byEmail[p.Supervisor]
				_, inDir := known[p.Supervisor]
				switch {
				case p.Supervisor == p.Email:
					fail(i, "supervisor", "a person cannot supervise themselves")
				case !inFile && !inDir:
					fail(i, "supervisor", "no person \""+p.Supervisor+"\" in the directory or the file")
				}
			}
		}
		// A cycle may run through the file and the directory.
		for i, p := range rows {
			if byEmail[p.Email] != i || p.Supervisor == "" || p.Supervisor == p.Email {
				continue
			}
			seen := map[string]bool{p.Email: true}
			for cur, steps := p.Supervisor, 0; cur != "" && steps < 10_000; steps++ {
				if seen[cur] {
					fail(i, "supervisor", "the supervisors of "+p.Email+" form a cycle")
					break
				}
				seen[cur] = true
				if j, ok := byEmail[cur]; ok {
					cur = rows[j].Supervisor
					continue
				}
				k, ok := known[cur]
				if !ok || k.SupervisorID == 0 {
					break
				}
				sp, err := tx.Person(ctx, k.SupervisorID)
				if err != nil {
					return err
				}
				known[sp.Email] = sp
				cur = sp.Email
			}
		}
		if len(errs) > 0 {
			slices.SortStableFunc(errs, func(x, y LineError) int { return x.Line - y.Line })
			return errImport(errs)
		}

		now := s.now().UTC()
		ids := make(map[string]PersonID, len(rows))
		for i, p := range rows {
			if opt.Progress != nil && i%500 == 0 {
				opt.Progress(i, len(rows))
			}
			old, exists := known[p.Email]
			if !exists {
				person := Person{Email: p.Email, Name: p.Name, OrgID: p.OrgID, UnitID: p.UnitID, Roles: p.Roles, Created: now}
				id, err := tx.CreatePerson(ctx, person)
				if err != nil {
					return err
				}
				person.ID = id
				np := NewPerson{Person: person}
				if p.WantToken {
					np.Token = newToken("dsn_")
					if err := tx.CreateToken(ctx, id, TokenHash(np.Token), now); err != nil {
						return err
					}
					if err := s.noticeAccount(ctx, tx, id, NoticeTokenIssued, Secret{}); err != nil {
						return err
					}
				}
				if err := tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.added", Detail: personDetail(id) + " roles " + Roles(p.Roles).String()}); err != nil {
					return err
				}
				ids[p.Email] = id
				rep.Added = append(rep.Added, np)
				continue
			}
			ids[p.Email] = old.ID
			var changed []string
			np := old
			if p.Name != old.Name {
				np.Name, changed = p.Name, append(changed, "name")
			}
			if p.OrgID != old.OrgID {
				np.OrgID, changed = p.OrgID, append(changed, "org")
			}
			if p.UnitID != old.UnitID {
				np.UnitID, changed = p.UnitID, append(changed, "unit")
			}
			if len(changed) > 0 {
				if err := tx.UpdatePerson(ctx, np); err != nil {
					return err
				}
			}
			roles := p.Roles
			if administers(old.Roles) && !administers(roles) {
				roles = NormalizeRoles(append(slices.Clone(roles), RoleAdmin))
			}
			if Roles(roles).String() != old.Roles.String() {
				if err := tx.SetRoles(ctx, old.ID, roles); err != nil {
					return err
				}
				changed = append(changed, "roles")
			}
			if len(changed) > 0 {
				if err := tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.updated", Detail: personDetail(old.ID) + " " + strings.Join(changed, ",")}); err != nil {
					return err
				}
				rep.Updated = append(rep.Updated, PersonChange{Email: p.Email, Fields: changed})
			}
		}
		// Supervisors second, so that a file may name one on a later line.
		for _, p := range rows {
			var sup PersonID
			if p.Supervisor != "" {
				if sup = ids[p.Supervisor]; sup == 0 {
					sup = known[p.Supervisor].ID
				}
			}
			old, exists := known[p.Email]
			if exists && old.SupervisorID == sup || !exists && sup == 0 {
				continue
			}
			if err := tx.SetSupervisor(ctx, ids[p.Email], sup); err != nil {
				return err
			}
			if !exists {
				continue
			}
			if err := tx.AppendEvent(ctx, Event{At: now, ActorID: a.ID, ActorRole: RoleAdmin, Kind: "person.supervisor_changed",
				Detail: personDetail(old.ID) + " supervisor " + strconv.FormatInt(int64(sup), 10)}); err != nil {
				return err
			}
			if i := slices.IndexFunc(rep.Updated, func(c PersonChange) bool { return c.Email == p.Email }); i >= 0 {
				rep.Updated[i].Fields = append(rep.Updated[i].Fields, "supervisor")
			} else {
				rep.Updated = append(rep.Updated, PersonChange{Email: p.Email, Fields: []string{"supervisor"}})
			}
		}
		rep.Unchanged = len(rows) - len(rep.Added) - len(rep.Updated)
		if opt.DeactivateMissing {
			for org, ok := range orgs {
				if !ok {
					continue
				}
				q := PeopleQuery{OrgID: org, Limit: 1000}
				for {
					ps, err := tx.SearchPeople(ctx, q)
					if err != nil {
						return err
					}
					for _, p := range ps {
						if _, listed := byEmail[p.Email]; listed || !p.Active() || administers(p.Roles) || p.ID == a.ID {
							continue
						}
						if err := s.deactivate(ctx, tx, a, p); err != nil {
							return err
						}
						rep.Deactivated = append(rep.Deactivated, p.Email)
					}
					if len(ps) < q.Limit {
						break
					}
					q.After = ps[len(ps)-1].Email
				}
			}
			slices.Sort(rep.Deactivated)
		}
		if opt.Progress != nil {
			opt.Progress(len(rows), len(rows))
		}
		if opt.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		for i := range rep.Added {
			rep.Added[i].ID, rep.Added[i].Token = 0, Secret{}
		}
		err = nil
	}
	if err != nil {
		return ImportReport{}, err
	}
	return rep, nil
}

// errImport is the one error of an import file's problems: its message
// counts them, and LineErrors (which it wraps) names each once.
func errImport(es LineErrors) error {
	n := strconv.Itoa(len(es)) + " problems"
	if len(es) == 1 {
		n = "1 problem"
	}
	if len(es) >= MaxImportErrors {
		n = "more than " + strconv.Itoa(MaxImportErrors) + " problems (the first shown)"
	}
	return &Error{Kind: KindInvalid, Code: "bad_csv", Field: "file", Message: "nothing was imported: the file has " + n, Err: es}
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

func personDetail(id PersonID) string { return "person " + strconv.FormatInt(int64(id), 10) }

// ImportOptions say how ImportPeople treats the directory.
type ImportOptions struct {
	// Sync updates people already in the directory to what the file says
	// (name, organization, unit, supervisor, roles); without it, a person
	// already there is an error.
	Sync bool
	// DeactivateMissing (with Sync) deactivates the active people of the
	// file's organizations whom the file does not list. Administrators are
	// never deactivated by an import.
	DeactivateMissing bool
	// DryRun checks and reports everything and changes nothing.
	DryRun bool
	// Progress, if set, is told how many rows are done of how many.
	Progress func(done, total int)
}

// ImportReport is what an import did, or would do in a dry run.
type ImportReport struct {
	Added       []NewPerson
	Updated     []PersonChange
	Deactivated []string // e-mails
	Unchanged   int
	DryRun      bool
}

// PersonChange is one person an import updated, and which fields changed.
type PersonChange struct {
	Email  string
	Fields []string
}

var errDryRun = errors.New("dry run")

// Page sizes of the directory.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// PeoplePage is one page of the directory.
type PeoplePage struct {
	People []Person
	Next   string // the After of the next page; "" on the last
	Total  int    // people in the deployment (or the organization asked for)
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

// AccountTx is the part of Tx that accounts need.
type AccountTx interface {
	// MarkActivated records that the person has signed in or used a token.
	MarkActivated(ctx context.Context, id PersonID) error
	// ActivateApart is MarkActivated in a log entry of its own, which holds
	// no other row the caller's function writes: that function's entries
	// may be protected events, which must not carry a digest of the
	// person's row. A store whose writer batches callers may write it at
	// the end of the batch, with the batch's other activations, in the
	// same transaction; a function that fails writes none.
	ActivateApart(ctx context.Context, id PersonID) error
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

// AccountView is what a person's account page shows of their credentials
// and of what was done to their account.
type AccountView struct {
	Links    []SignInLinkRecord
	Requests []CredentialRequest
	Notices  []AccountNotice
}

// PersonUpdate is a change to a person's directory entry; empty fields stay
// as they are, except UnitID, which ClearUnit empties.
type PersonUpdate struct {
	Email, Name, OrgID, UnitID string
	ClearUnit                  bool
}
