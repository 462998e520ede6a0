package main

import (
	"context"
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
				n, err := rewrapAll(cmd.Context(), d, func(done int) { progressTo(bar, int64(done), int64(max(stale, done))) })
				finish(bar)
				if err != nil {
					return fmt.Errorf("rewrap (the new key %s is active; run keys rotate again to finish): %w", id, err)
				}
				for _, k := range old {
					var left int
					if err := d.db.View(cmd.Context(), func(tx dissent.Tx) error {
						var err error
						left, err = tx.CountKeysUnder(cmd.Context(), k)
						return err
					}); err != nil {
						return err
					}
					if left == 0 {
						if err := ring.Retire(k); err != nil {
							return err
						}
					}
				}
				if err := d.db.Update(cmd.Context(), func(tx dissent.Tx) error {
					return tx.AppendEvent(cmd.Context(), dissent.Event{At: d.clock().UTC(), ActorRole: dissent.RoleAdmin, Kind: "keys.rotated", Detail: "active " + id})
				}); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Rotated: key-encryption key %s is active; %d data keys rewrapped.\n", id, n)
				return nil
			})
		},
	}
	f.add(rotate)
	quietFlag(rotate, &e.quiet)
	c.AddCommand(rotate)
	return c
}

// rewrapAll rewraps data keys in small transactions, so that the service
// keeps running while it does.
func rewrapAll(ctx context.Context, d *deployment, progress func(done int)) (int, error) {
	total := 0
	for {
		var ids []dissent.MessageID
		err := d.db.Update(ctx, func(tx dissent.Tx) error {
			var err error
			if ids, err = tx.StaleMessageKeys(ctx, d.sealer.ActiveKEK(), 100); err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.RewrapMessageKey(ctx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(ids)
		if progress != nil {
			progress(total)
		}
		if len(ids) == 0 {
			return total, nil
		}
	}
}
