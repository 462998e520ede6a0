package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
	var opt dissent.ImportOptions
	var quiet bool
	c := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Add many people from a CSV file (email,name,org,unit,supervisor,roles; roles separated by ;), all or none; --sync updates a grown HR file",
		Long: `Add many people from a CSV file, all or none. The header names the columns email, name, org, unit,
supervisor and roles, in any order, separated by commas, semicolons or tabs; roles are separated by ";".
A supervisor may appear later in the file.

With --sync, people already in the directory are updated to what the file says (name, organization,
unit, supervisor, roles; the admin role is never removed), and with --deactivate-missing the active
people of the file's organizations that the file does not list are deactivated (administrators never).
--dry-run checks everything and prints what would change, changing nothing. Every problem is reported
at once, one line each, as FILE:LINE: column: problem.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			in, lines, err := readPeopleCSV(path, tokensOut != "")
			if err != nil {
				return importError(e, path, err)
			}
			var out *os.File
			if tokensOut != "" && !opt.DryRun {
				// Create the tokens file before changing anything, so that a
				// bad path cannot leave people whose tokens were lost.
				if out, err = os.OpenFile(tokensOut, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err != nil {
					return fmt.Errorf("--tokens-out: %w", err)
				}
				defer out.Close()
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				bar := newProgress(e.stderr, quiet, "importing", int64(len(in)))
				opt.Progress = func(done, total int) { progressTo(bar, int64(done), int64(total)) }
				rep, err := d.svc.ImportPeople(cmd.Context(), dissent.System, in, lines, opt)
				finish(bar)
				if err != nil {
					return importError(e, path, err)
				}
				if out != nil {
					w := csv.NewWriter(out)
					_ = w.Write([]string{"email", "token"})
					for _, p := range rep.Added {
						_ = w.Write([]string{p.Email, p.Token.Reveal()})
					}
					w.Flush()
					if err := errors.Join(w.Error(), out.Sync(), out.Close()); err != nil {
						return fmt.Errorf("write %s: %w", tokensOut, err)
					}
				}
				printImport(e.stdout, rep, opt)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&tokensOut, "tokens-out", "", "write email,token lines for the people added to this file (mode 0600)")
	c.Flags().BoolVar(&opt.Sync, "sync", false, "update the people already in the directory to what the file says")
	c.Flags().BoolVar(&opt.DeactivateMissing, "deactivate-missing", false, "with --sync: deactivate the people of the file's organizations that it does not list")
	c.Flags().BoolVar(&opt.DryRun, "dry-run", false, "check and print what would change; change nothing")
	quietFlag(c, &quiet)
	return c
}

// importError prints an import file's problems one a line, as
// FILE:LINE: column: problem, and returns a short error.
func importError(e *env, path string, err error) error {
	var les dissent.LineErrors
	if !errors.As(err, &les) {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, l := range les {
		field := ""
		if l.Field != "" {
			field = l.Field + ": "
		}
		fmt.Fprintf(e.stderr, "%s:%d: %s%s\n", path, l.Line, field, l.Message)
	}
	return fmt.Errorf("%s: %s", path, dissent.AsError(err).Message)
}

func printImport(w io.Writer, rep dissent.ImportReport, opt dissent.ImportOptions) {
	verb := map[bool][4]string{false: {"Added", "Updated", "Deactivated", "left"}, true: {"Would add", "Would update", "Would deactivate", "would leave"}}[rep.DryRun]
	if !opt.Sync && !rep.DryRun {
		fmt.Fprintf(w, "Imported %d people.\n", len(rep.Added))
		return
	}
	fmt.Fprintf(w, "%s %d, %s %d, %s %d; %s %d unchanged.\n", verb[0], len(rep.Added), strings.ToLower(verb[1]), len(rep.Updated),
		strings.ToLower(verb[2]), len(rep.Deactivated), verb[3], rep.Unchanged)
	for _, p := range rep.Added {
		fmt.Fprintf(w, "  add %s (%s, roles %s)\n", p.Email, p.OrgID, p.Roles)
	}
	for _, c := range rep.Updated {
		fmt.Fprintf(w, "  update %s: %s\n", c.Email, strings.Join(c.Fields, ", "))
	}
	for _, e := range rep.Deactivated {
		fmt.Fprintf(w, "  deactivate %s\n", e)
	}
	if rep.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
	}
}

// readPeopleCSV reads the import format (dissent.ParsePeopleCSVLines).
func readPeopleCSV(path string, tokens bool) ([]dissent.PersonInput, []int, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	ps, lines, err := dissent.ParsePeopleCSVLines(io.LimitReader(fh, 64<<20))
	if err != nil {
		return nil, nil, err
	}
	for i := range ps {
		ps[i].WantToken = tokens
	}
	return ps, lines, nil
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
