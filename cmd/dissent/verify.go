package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent/internal/auditlog"
)

func verifyCmd(e *env) *cobra.Command {
	var f storeFlags
	var against []string
	c := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log: every entry, every checkpoint, the checkpoint file, and that every table agrees with the log",
		Long: `Check the audit log and the database against it: every entry opens under the log's key and matches its
commitment, the Merkle tree and every checkpoint, the checkpoint file, the order of each message's entries, the
messages' states and signatures replayed from the log, and every row of every table the log records (an edit,
insertion or deletion made behind the service's back is named by table and row).

With --against FILE (a checkpoint saved earlier, e.g. by a witness), verify also fails unless the current log
extends that checkpoint: a data directory rolled back to an older copy is caught.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cps [][]byte
			for _, a := range against {
				b, err := readLimited(a, 1<<16)
				if err != nil {
					return fmt.Errorf("--against: %w", err)
				}
				cps = append(cps, b)
			}
			return withDeployment(cmd.Context(), e, &f, func(d *deployment) error {
				var progress auditlog.Progress
				if bar := newProgress(e.stderr, e.quiet, "verifying the log", -1); bar != nil {
					progress = func(done, total int64) { bar.ChangeMax64(total); _ = bar.Set64(done) }
					defer bar.Finish()
				}
				rep, err := d.log.Verify(cmd.Context(), progress, cps...)
				if err != nil {
					return fmt.Errorf("verify: %w", err)
				}
				if _, err := d.svc.CheckDeadlines(cmd.Context()); err != nil {
					return fmt.Errorf("verify: deadlines: %w", err)
				}
				fmt.Fprintf(e.stdout, "The audit log is intact: %d entries (%d not yet in the tree), %d checkpoints; %d messages and %d rows agree with it; %d sealed values open.\n",
					rep.Leaves+rep.Pending, rep.Pending, rep.Checkpoints, rep.Messages, rep.Rows, rep.Sealed)
				if len(cps) > 0 {
					fmt.Fprintf(e.stdout, "The log extends the %d checkpoint(s) given with --against.\n", len(cps))
				}
				return nil
			})
		},
	}
	f.add(c)
	quietFlag(c, &e.quiet)
	c.Flags().StringArrayVar(&against, "against", nil, "a checkpoint saved earlier (e.g. by a witness) that the log must extend; may be repeated")
	return c
}

func receiptCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "receipt", Short: "Work with signed receipts"}
	var key, data string
	v := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a receipt offline with only the log's public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := readLimited(args[0], 1<<20)
			if err != nil {
				return err
			}
			if key == "" {
				kb, err := os.ReadFile(logDir(configFor(data)) + "/" + logKeyFile)
				if err != nil {
					return fmt.Errorf("no --key given and no log key in %s: %w", data, err)
				}
				key = string(kb)
			}
			r, err := auditlog.VerifyReceipt(b, key)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Valid receipt: %s %s message %s (version %d, content hash %s) at %s; submitted %s; proved in the log (entry %d).\n",
				r.Email, r.Act, r.MessageID, r.Version, r.ContentHash, r.At.UTC().Format("2006-01-02T15:04:05Z"),
				r.SubmittedAt.UTC().Format("2006-01-02T15:04:05Z"), r.Entries[0].LeafIndex)
			return nil
		},
	}
	v.Flags().StringVar(&key, "key", "", "the log's public key (name+hash+base64), as in DATA/log/key.pub")
	v.Flags().StringVar(&data, "data", "./dissent-data", "data directory whose log key to use when --key is not given")
	c.AddCommand(v)
	return c
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}
