package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
)

func configFor(data string) config.Config {
	c := config.Default()
	c.DataDir = data
	return c
}

func keysCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Manage the encryption keys"}
	var f storeFlags
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Make a new key-encryption key and rewrap every data key under it (safe while the service runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				ring := d.sealer.Keyring()
				old := ring.KEKs()
				var stale int
				for _, k := range old {
					if err := d.db.View(cmd.Context(), func(tx dissent.Tx) error {
						n, err := tx.CountKeysUnder(cmd.Context(), k)
						stale += n
						return err
					}); err != nil {
						return err
					}
				}
				id, err := ring.Rotate()
				if err != nil {
					return err
				}
				bar := newProgress(e.stderr, e.quiet, "rewrapping data keys", int64(stale))
				r, err := d.svc.RotateKeys(cmd.Context(), dissent.System, id, old, func(done int) { progressTo(bar, int64(done), int64(max(stale, done))) })
				finish(bar)
				if err != nil {
					return fmt.Errorf("rewrap (the new key %s is active; run keys rotate again to finish): %w", id, err)
				}
				for _, k := range r.Unused {
					if err := ring.Retire(k); err != nil {
						return err
					}
				}
				fmt.Fprintf(e.stdout, "Rotated: key-encryption key %s is active; %d data keys rewrapped.\n", id, r.Rewrapped)
				return nil
			})
		},
	}
	f.add(rotate)
	quietFlag(rotate, &e.quiet)
	c.AddCommand(rotate)
	return c
}
