package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent"
)

// modelFlags are serve's settings of the message model: the highest
// accredited marking and the attachment limits.
type modelFlags struct {
	accredited string
	maxMiB     int
	maxFiles   int
}

func (m *modelFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&m.accredited, "accredited-level", "", "highest classification marking the deployment is accredited for; messages marked above it are refused (default: every marking)")
	c.Flags().IntVar(&m.maxMiB, "max-attachment-mib", dissent.DefaultMaxAttachmentBytes>>20, "largest attachment, in MiB")
	c.Flags().IntVar(&m.maxFiles, "max-attachments", dissent.DefaultMaxAttachments, "most attachments a message may carry")
}

func (m *modelFlags) apply(svc *dissent.Service) error {
	if m.maxMiB < 1 || m.maxMiB > 1024 {
		return fmt.Errorf("--max-attachment-mib must be between 1 and 1024")
	}
	if m.maxFiles < 1 || m.maxFiles > 1000 {
		return fmt.Errorf("--max-attachments must be between 1 and 1000")
	}
	svc.SetAttachmentLimits(int64(m.maxMiB)<<20, m.maxFiles)
	svc.SetAccreditedLevel(m.accredited)
	return nil
}

func vocabularyCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "vocabulary", Short: "Manage the classification markings, policy topics and distribution tiers messages may carry"}
	var kind, name string
	kindFlag := func(c *cobra.Command) {
		c.Flags().StringVar(&kind, "kind", "", "classification, topic or tier (required)")
		_ = c.MarkFlagRequired("kind")
	}
	var fa, fr, fl storeFlags
	add := &cobra.Command{
		Use:   "add",
		Short: "Add an entry; markings are added from the least to the most restricted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := dissent.ParseVocabKind("--kind", kind)
			if err != nil {
				return err
			}
			return withDeployment(cmd.Context(), e, &fa, func(d *deployment) error {
				v, err := d.svc.AddVocabulary(cmd.Context(), dissent.System, k, name)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Added %s %q (position %d).\n", v.Kind, v.Name, v.Ord)
				return nil
			})
		},
	}
	retire := &cobra.Command{
		Use:   "retire",
		Short: "Retire an entry: it can no longer be chosen and stays on the messages that carry it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := dissent.ParseVocabKind("--kind", kind)
			if err != nil {
				return err
			}
			return withDeployment(cmd.Context(), e, &fr, func(d *deployment) error {
				if err := d.svc.RetireVocabulary(cmd.Context(), dissent.System, k, name); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Retired %s %q.\n", k, name)
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the vocabulary (one kind with --kind)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kinds := dissent.VocabKinds
			if kind != "" {
				k, err := dissent.ParseVocabKind("--kind", kind)
				if err != nil {
					return err
				}
				kinds = []dissent.VocabKind{k}
			}
			return withDeployment(cmd.Context(), e, &fl, func(d *deployment) error {
				v, err := d.svc.GetVocabulary(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KIND\tNAME\tSTATUS")
				for _, k := range kinds {
					for _, x := range v.Of(k) {
						status := "in use"
						if !x.Retired.IsZero() {
							status = "retired " + x.Retired.UTC().Format("2006-01-02")
						}
						fmt.Fprintf(tw, "%s\t%s\t%s\n", k, x.Name, status)
					}
				}
				return tw.Flush()
			})
		},
	}
	for _, x := range []*cobra.Command{add, retire} {
		kindFlag(x)
		x.Flags().StringVar(&name, "name", "", "the entry's name (required)")
		_ = x.MarkFlagRequired("name")
	}
	fa.add(add)
	fr.add(retire)
	fl.add(list)
	list.Flags().StringVar(&kind, "kind", "", "only this kind: classification, topic or tier")
	c.AddCommand(add, retire, list)
	return c
}
