package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

func userCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "user", Short: "Manage people, their roles and their credentials"}
	c.AddCommand(userAddCmd(e), userImportCmd(e), userInviteCmd(e), userTokenCmd(e), userListCmd(e), userShowCmd(e), userUpdateCmd(e),
		userLifeCmd(e, "deactivate", "Deactivate a person: their sessions end, their tokens are revoked and their links spent at once; their history stays",
			(*dissent.Service).DeactivatePerson, "Deactivated %s."),
		userLifeCmd(e, "reactivate", "Reactivate a deactivated person (they need a new sign-in link: `dissent user invite`)",
			(*dissent.Service).ReactivatePerson, "Reactivated %s."))
	return c
}

func userAddCmd(e *env) *cobra.Command {
	var f storeFlags
	var in dissent.PersonInput
	var roles []string
	c := &cobra.Command{
		Use:   "add",
		Short: "Add a person; with --token, the last line printed is their API bearer token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			in.Roles = rs
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ps, err := d.svc.AddPeople(cmd.Context(), dissent.System, []dissent.PersonInput{in})
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Added %s (%s) with roles %s.\n", ps[0].Email, ps[0].OrgID, ps[0].Roles)
				if in.WantToken {
					fmt.Fprintln(e.stdout, ps[0].Token.Reveal())
				}
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&in.Email, "email", "", "e-mail address (required)")
	c.Flags().StringVar(&in.Name, "name", "", "full name (required)")
	c.Flags().StringVar(&in.OrgID, "org", "", "organization id (required)")
	c.Flags().StringVar(&in.UnitID, "unit", "", "unit id")
	c.Flags().StringVar(&in.Supervisor, "supervisor", "", "e-mail of their supervisor")
	c.Flags().StringArrayVar(&roles, "role", nil, "role: employee, officer, director, principal, reviewer, monitor, auditor or admin (repeatable)")
	c.Flags().BoolVar(&in.WantToken, "token", false, "also create an API bearer token and print it last")
	for _, n := range []string{"email", "name", "org", "role"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}

func userImportCmd(e *env) *cobra.Command {
	var f storeFlags
	var tokensOut string
	c := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Add many people from a CSV file (email,name,org,unit,supervisor,roles; roles separated by ;), all or none",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := readPeopleCSV(args[0], tokensOut != "")
			if err != nil {
				return err
			}
			var out *os.File
			if tokensOut != "" {
				// Create the tokens file before changing anything, so that a
				// bad path cannot leave people whose tokens were lost.
				if out, err = os.OpenFile(tokensOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
					return fmt.Errorf("--tokens-out: %w", err)
				}
				defer out.Close()
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ps, err := d.svc.AddPeople(cmd.Context(), dissent.System, in)
				if err != nil {
					return err
				}
				if out != nil {
					w := csv.NewWriter(out)
					_ = w.Write([]string{"email", "token"})
					for _, p := range ps {
						_ = w.Write([]string{p.Email, p.Token.Reveal()})
					}
					w.Flush()
					if err := errors.Join(w.Error(), out.Sync(), out.Close()); err != nil {
						return fmt.Errorf("write %s: %w", tokensOut, err)
					}
				}
				fmt.Fprintf(e.stdout, "Imported %d people.\n", len(ps))
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&tokensOut, "tokens-out", "", "write email,token lines for the imported people to this file (mode 0600)")
	return c
}

// readPeopleCSV reads the import format (dissent.ParsePeopleCSV); errors
// name the file, the line and the column.
func readPeopleCSV(path string, tokens bool) ([]dissent.PersonInput, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer fh.Close()
	ps, err := dissent.ParsePeopleCSV(io.LimitReader(fh, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i := range ps {
		ps[i].WantToken = tokens
	}
	return ps, nil
}

func userInviteCmd(e *env) *cobra.Command {
	var f storeFlags
	var email, publicURL string
	c := &cobra.Command{
		Use:   "invite",
		Short: "Print a one-time sign-in link for a person",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				sec, err := d.svc.IssueSignInLink(cmd.Context(), dissent.System, email)
				if err != nil {
					return err
				}
				cfg := d.cfg
				cfg.PublicURL = publicURL
				fmt.Fprintf(e.stdout, "One-time sign-in link for %s (valid %s, usable once):\n%s/signin/link/%s\n", email, dissent.SignInLinkTTL, cfg.BaseURL(), sec.Reveal())
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&email, "email", "", "e-mail of the person (required)")
	c.Flags().StringVar(&publicURL, "public-url", "", "URL people reach the service at (default http://localhost:8080)")
	_ = c.MarkFlagRequired("email")
	return c
}

func userTokenCmd(e *env) *cobra.Command {
	var f storeFlags
	var email string
	c := &cobra.Command{
		Use:   "token",
		Short: "Create an API bearer token for a person and print it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				tok, err := d.svc.IssueToken(cmd.Context(), dissent.System, email)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, tok.Reveal())
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&email, "email", "", "e-mail of the person (required)")
	_ = c.MarkFlagRequired("email")
	return c
}
