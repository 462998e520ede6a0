package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

// tokenCmd manages people's API tokens from the command line.
func tokenCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "token", Short: "List and revoke API tokens (create them with `dissent user token`)"}

	var lf storeFlags
	var lemail string
	list := &cobra.Command{
		Use:   "list",
		Short: "List a person's API tokens: id, label, created, last used, revoked",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &lf, func(d *deployment) error {
				ts, err := d.svc.TokensOf(cmd.Context(), dissent.System, lemail)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "id\tlabel\tcreated\tlast_used\trevoked")
				for _, t := range ts {
					fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Label, stamp(t.Created), stamp(t.LastUsed), stamp(t.Revoked))
				}
				return nil
			})
		},
	}
	lf.add(list)
	list.Flags().StringVar(&lemail, "email", "", "the person's e-mail")
	_ = list.MarkFlagRequired("email")

	var rf storeFlags
	var remail, id string
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke one of a person's API tokens by its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &rf, func(d *deployment) error {
				if err := d.svc.RevokeTokenOf(cmd.Context(), dissent.System, remail, id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Revoked token %s of %s.\n", id, remail)
				return nil
			})
		},
	}
	rf.add(revoke)
	revoke.Flags().StringVar(&remail, "email", "", "the person's e-mail")
	revoke.Flags().StringVar(&id, "id", "", "the token's id, as `dissent token list` shows it")
	_ = revoke.MarkFlagRequired("email")
	_ = revoke.MarkFlagRequired("id")

	c.AddCommand(list, revoke)
	return c
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// ssoCmd configures an organization's OIDC identity provider.
func ssoCmd(e *env) *cobra.Command {
	var f storeFlags
	var p dissent.OIDCProvider
	c := &cobra.Command{
		Use:   "sso",
		Short: "Configure an organization's OpenID Connect single sign-on",
		Long: "Configure an organization's OpenID Connect single sign-on. Register the redirect URI\n" +
			"PUBLIC_URL/signin/oidc/callback with the identity provider. The client secret is never\n" +
			"stored: --client-secret-env names the environment variable serve reads it from.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				if err := d.svc.SetOIDCProvider(cmd.Context(), dissent.System, p); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Single sign-on for %s now goes through %s.\n", p.OrgID, p.Issuer)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&p.OrgID, "org", "", "the organization's id")
	c.Flags().StringVar(&p.Issuer, "issuer", "", "the identity provider's issuer URL (https://…)")
	c.Flags().StringVar(&p.ClientID, "client-id", "", "Dissent's client id at the identity provider")
	c.Flags().StringVar(&p.ClientSecretEnv, "client-secret-env", "", "NAME of the environment variable holding the client secret (omit for a public client with PKCE)")
	for _, n := range []string{"org", "issuer", "client-id"} {
		_ = c.MarkFlagRequired(n)
	}
	return c
}
