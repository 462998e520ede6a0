package dissent

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
)

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
