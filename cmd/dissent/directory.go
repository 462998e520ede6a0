package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

// The directory's lists and the people's life cycle: org list, unit list,
// user list|show|update|deactivate|reactivate. Lists print an aligned table
// by default, or --format json (an array of objects) or csv (with a header).

// listing is a list's columns and rows, all text.
type listing struct {
	cols []string
	rows [][]string
}

func (l *listing) add(vals ...string) { l.rows = append(l.rows, vals) }

func checkFormat(format string) error {
	switch format {
	case "table", "json", "csv":
		return nil
	}
	return fmt.Errorf("--format: want table, json or csv, not %q", format)
}

// write prints l in format.
func (l listing) write(w io.Writer, format string) error {
	switch format {
	case "json":
		out := make([]map[string]string, 0, len(l.rows))
		for _, r := range l.rows {
			m := make(map[string]string, len(l.cols))
			for i, c := range l.cols {
				m[c] = r[i]
			}
			out = append(out, m)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(l.cols)
		for _, r := range l.rows {
			_ = cw.Write(r)
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(l.cols, "\t")))
	for _, r := range l.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func addFormat(c *cobra.Command, format *string) {
	c.Flags().StringVar(format, "format", "table", "table, json or csv")
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func orgListCmd(e *env) *cobra.Command {
	var f storeFlags
	var format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the organizations (the first runs the channel office)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				orgs, err := d.svc.ListOrgs(cmd.Context(), dissent.System)
				if err != nil {
					return err
				}
				l := listing{cols: []string{"id", "name", "tz", "people", "units", "office"}}
				for _, o := range orgs {
					l.add(o.ID, o.Name, o.TimeZone, strconv.Itoa(o.People), strconv.Itoa(o.Units), strconv.FormatBool(o.Office))
				}
				return l.write(e.stdout, format)
			})
		},
	}
	f.add(c)
	addFormat(c, &format)
	return c
}

func unitListCmd(e *env) *cobra.Command {
	var f storeFlags
	var format, org string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the units, as a tree under their parents (of one organization with --org)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ctx := cmd.Context()
				ids := []string{org}
				if org == "" {
					all, err := d.svc.ListOrgs(ctx, dissent.System)
					if err != nil {
						return err
					}
					ids = ids[:0]
					for _, o := range all {
						ids = append(ids, o.ID)
					}
				}
				l := listing{cols: []string{"id", "org", "name", "parent", "depth"}}
				for _, id := range ids {
					od, err := d.svc.GetOrg(ctx, dissent.System, id)
					if dissent.ErrorKind(err) == dissent.KindNotFound {
						return fmt.Errorf("--org: no organization %q", id)
					}
					if err != nil {
						return err
					}
					for _, u := range od.Units {
						name := u.Name
						if format == "table" {
							name = strings.Repeat("  ", u.Depth) + name
						}
						l.add(u.ID, u.OrgID, name, u.ParentID, strconv.Itoa(u.Depth))
					}
				}
				return l.write(e.stdout, format)
			})
		},
	}
	f.add(c)
	addFormat(c, &format)
	c.Flags().StringVar(&org, "org", "", "only this organization's units")
	return c
}

func personState(p dissent.Person) string {
	switch {
	case !p.Active():
		return "deactivated " + day(p.Deactivated)
	case p.Activated:
		return "active"
	}
	return "never signed in"
}

func userListCmd(e *env) *cobra.Command {
	var f storeFlags
	var format string
	var q dissent.PeopleQuery
	var role string
	c := &cobra.Command{
		Use:   "list",
		Short: "List people (all of them, in e-mail order; narrow with --org, --role, --prefix)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			q.Role = dissent.Role(role)
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				var all []dissent.Person
				q.Limit = dissent.MaxPageSize
				for {
					pg, err := d.svc.SearchPeople(cmd.Context(), dissent.System, q)
					if err != nil {
						return err
					}
					all = append(all, pg.People...)
					if pg.Next == "" {
						break
					}
					q.After = pg.Next
				}
				email := map[dissent.PersonID]string{}
				for _, p := range all {
					email[p.ID] = p.Email
				}
				l := listing{cols: []string{"id", "email", "name", "org", "unit", "supervisor", "roles", "state"}}
				for _, p := range all {
					sup := ""
					if p.SupervisorID != 0 {
						if sup = email[p.SupervisorID]; sup == "" {
							sup = "person " + strconv.FormatInt(int64(p.SupervisorID), 10)
						}
					}
					l.add(strconv.FormatInt(int64(p.ID), 10), p.Email, p.Name, p.OrgID, p.UnitID, sup, p.Roles.String(), personState(p))
				}
				return l.write(e.stdout, format)
			})
		},
	}
	f.add(c)
	addFormat(c, &format)
	c.Flags().StringVar(&q.OrgID, "org", "", "only this organization's people")
	c.Flags().StringVar(&role, "role", "", "only people holding this role")
	c.Flags().StringVar(&q.Prefix, "prefix", "", "only people whose e-mail or name starts with this")
	return c
}

func userShowCmd(e *env) *cobra.Command {
	var f storeFlags
	var format, email string
	c := &cobra.Command{
		Use:   "show",
		Short: "Show one person: directory entry, state and credentials (never anything about messages)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ctx := cmd.Context()
				p, err := d.svc.PersonByEmail(ctx, dissent.System, email)
				if err != nil {
					return err
				}
				pd, err := d.svc.PersonDetail(ctx, dissent.System, p.ID)
				if err != nil {
					return err
				}
				active := 0
				for _, t := range pd.Tokens {
					if t.Revoked.IsZero() {
						active++
					}
				}
				l := listing{cols: []string{"field", "value"}}
				l.add("id", strconv.FormatInt(int64(pd.ID), 10))
				l.add("email", pd.Email)
				l.add("name", pd.Name)
				l.add("org", pd.OrgID)
				l.add("unit", pd.UnitID)
				l.add("supervisor", pd.Supervisor.Email)
				l.add("roles", pd.Roles.String())
				l.add("state", personState(pd.Person))
				l.add("added", day(pd.Created))
				l.add("tokens", fmt.Sprintf("%d active, %d in all", active, len(pd.Tokens)))
				l.add("sign-in links", strconv.Itoa(len(pd.Links)))
				open := 0
				for _, r := range pd.Requests {
					if r.Open() {
						open++
					}
				}
				l.add("open link requests", strconv.Itoa(open))
				return l.write(e.stdout, format)
			})
		},
	}
	f.add(c)
	addFormat(c, &format)
	c.Flags().StringVar(&email, "email", "", "e-mail of the person (required)")
	_ = c.MarkFlagRequired("email")
	return c
}

func userUpdateCmd(e *env) *cobra.Command {
	var f storeFlags
	var email, supervisor string
	var in dissent.PersonUpdate
	var roles []string
	c := &cobra.Command{
		Use:   "update",
		Short: "Change a person's e-mail, name, organization, unit, supervisor or roles (only the flags given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := cmd.Flags()
			var rs []dissent.Role
			if fl.Changed("role") {
				var err error
				if rs, err = parseRoles(roles); err != nil {
					return err
				}
			}
			in.ClearUnit = fl.Changed("unit") && in.UnitID == ""
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ctx := cmd.Context()
				p, err := d.svc.PersonByEmail(ctx, dissent.System, email)
				if err != nil {
					return err
				}
				if p, err = d.svc.UpdatePerson(ctx, dissent.System, p.ID, in); err != nil {
					return err
				}
				if fl.Changed("supervisor") {
					if err := d.svc.SetSupervisor(ctx, dissent.System, p.ID, supervisor); err != nil {
						return err
					}
				}
				if fl.Changed("role") {
					if p, err = d.svc.SetRoles(ctx, dissent.System, p.ID, rs); err != nil {
						return err
					}
				}
				fmt.Fprintf(e.stdout, "Updated %s (%s, unit %q, roles %s).\n", p.Email, p.OrgID, p.UnitID, p.Roles)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&email, "email", "", "e-mail of the person (required)")
	c.Flags().StringVar(&in.Email, "new-email", "", "their new e-mail address")
	c.Flags().StringVar(&in.Name, "name", "", "their new name")
	c.Flags().StringVar(&in.OrgID, "org", "", "their new organization (their unit is cleared unless --unit names one of it)")
	c.Flags().StringVar(&in.UnitID, "unit", "", `their new unit ("" for none)`)
	c.Flags().StringVar(&supervisor, "supervisor", "", `e-mail of their new supervisor ("" for none)`)
	c.Flags().StringArrayVar(&roles, "role", nil, "their roles, replacing the old ones (repeatable)")
	_ = c.MarkFlagRequired("email")
	return c
}

func userLifeCmd(e *env, use, short string, fn func(*dissent.Service, context.Context, dissent.Actor, dissent.PersonID) error, done string) *cobra.Command {
	var f storeFlags
	var email string
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				p, err := d.svc.PersonByEmail(cmd.Context(), dissent.System, email)
				if err != nil {
					return err
				}
				if err := fn(d.svc, cmd.Context(), dissent.System, p.ID); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, done+"\n", p.Email)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&email, "email", "", "e-mail of the person (required)")
	_ = c.MarkFlagRequired("email")
	return c
}
