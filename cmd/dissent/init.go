package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
)

func initCmd(e *env) *cobra.Command {
	var f storeFlags
	var adminEmail, publicURL string
	c := &cobra.Command{
		Use:   "init",
		Short: "Create a new deployment and print a one-time sign-in link for its administrator",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(e)
			if err != nil {
				return err
			}
			cfg.PublicURL = publicURL
			if err := cfg.Validate(); err != nil {
				return err
			}
			return initialize(cmd.Context(), e, cfg, adminEmail)
		},
	}
	f.add(c)
	c.Flags().StringVar(&adminEmail, "admin-email", "admin@localhost", "e-mail of the first administrator")
	c.Flags().StringVar(&publicURL, "public-url", "", "URL people reach the service at (default from --addr of serve: http://localhost:8080)")
	return c
}

// initialize creates the deployment in cfg and prints the administrator's
// one-time sign-in link. It refuses a data directory that already holds one.
func initialize(ctx context.Context, e *env, cfg config.Config, adminEmail string) error {
	if ok, err := initialized(ctx, cfg); err != nil {
		return err
	} else if ok {
		where := cfg.DataDir
		if cfg.Backend() == config.BackendPostgres {
			where = cfg.RedactedDatabaseURL()
		}
		return &dissent.Error{Kind: dissent.KindConflict, Code: "initialized", Message: "a deployment already exists in " + where}
	}
	d, err := open(ctx, e, cfg, true, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	sec, err := d.svc.Bootstrap(ctx, adminEmail)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Created a new Dissent deployment in %s.\n", cfg.DataDir)
	fmt.Fprintf(e.stdout, "One-time sign-in link for the administrator %s (valid %s, usable once):\n", adminEmail, dissent.SignInLinkTTL)
	fmt.Fprintf(e.stdout, "%s/signin/link/%s\n", cfg.BaseURL(), sec.Reveal())
	return nil
}
