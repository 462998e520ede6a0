package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

func orgCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "org", Short: "Manage organizations and their calendars"}
	c.AddCommand(orgAddCmd(e), orgClosureCmd(e), orgListCmd(e))
	return c
}

func orgAddCmd(e *env) *cobra.Command {
	var f storeFlags
	var in dissent.OrgInput
	c := &cobra.Command{
		Use:   "add",
		Short: "Add an organization (the first one added runs the channel office)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				o, err := d.svc.AddOrg(cmd.Context(), dissent.System, in)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Added organization %s (%s, time zone %s).\n", o.ID, o.Name, o.TimeZone)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&in.ID, "id", "", "identifier, e.g. state (required)")
	c.Flags().StringVar(&in.Name, "name", "", "name (required)")
	c.Flags().StringVar(&in.TimeZone, "tz", "America/New_York", "IANA time zone of its calendar")
	_ = c.MarkFlagRequired("id")
	_ = c.MarkFlagRequired("name")
	return c
}

func orgClosureCmd(e *env) *cobra.Command {
	var f storeFlags
	var org, date, reason string
	c := &cobra.Command{
		Use:   "closure",
		Short: "Add an extra closure (e.g. an executive-order closing) to an organization's calendar",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				if err := d.svc.AddClosure(cmd.Context(), dissent.System, org, date, reason); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Added closure %s to %s.\n", date, org)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&org, "org", "", "organization id (required)")
	c.Flags().StringVar(&date, "date", "", "closed day, YYYY-MM-DD (required)")
	c.Flags().StringVar(&reason, "reason", "", "why the office is closed")
	_ = c.MarkFlagRequired("org")
	_ = c.MarkFlagRequired("date")
	return c
}

func unitCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "unit", Short: "Manage units (bureaus, offices, posts)"}
	var f storeFlags
	var in dissent.UnitInput
	add := &cobra.Command{
		Use:   "add",
		Short: "Add a unit to an organization",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				u, err := d.svc.AddUnit(cmd.Context(), dissent.System, in)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Added unit %s (%s) to %s.\n", u.ID, u.Name, u.OrgID)
				return nil
			})
		},
	}
	f.add(add)
	add.Flags().StringVar(&in.ID, "id", "", "identifier (required)")
	add.Flags().StringVar(&in.OrgID, "org", "", "organization id (required)")
	add.Flags().StringVar(&in.Name, "name", "", "name (required)")
	add.Flags().StringVar(&in.ParentID, "parent", "", "parent unit id")
	for _, n := range []string{"id", "org", "name"} {
		_ = add.MarkFlagRequired(n)
	}
	c.AddCommand(add, unitListCmd(e))
	return c
}
