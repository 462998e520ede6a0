package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dissent-channel/dissent/internal/exposure"
)

func exposureCmd(e *env) *cobra.Command {
	c := &cobra.Command{Use: "exposure", Short: "Find passages of messages quoted or paraphrased in articles"}
	var msgDir, artDir, format, publicDir string
	match := &cobra.Command{
		Use:   "match",
		Short: "Match every article against every message, offline, on plain files",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "json" && format != "text" {
				return fmt.Errorf("--format: want json or text, got %q", format)
			}
			msgs, err := readDocs(msgDir, "--messages")
			if err != nil {
				return err
			}
			arts, err := readDocs(artDir, "--articles")
			if err != nil {
				return err
			}
			var opts exposure.Options
			if publicDir != "" {
				if opts.Public, err = readDocs(publicDir, "--public"); err != nil {
					return err
				}
			}
			bar := newProgress(e.stderr, e.quiet, "matching", -1)
			if bar != nil {
				bar.ChangeMax(len(arts))
			}
			findings := exposure.MatchAll(msgs, arts, opts)
			if bar != nil {
				_ = bar.Finish()
			}
			if format == "json" {
				return exposure.WriteJSONLines(e.stdout, findings)
			}
			for _, f := range findings {
				fmt.Fprintf(e.stdout, "%s quotes %s (score %.2f):\n", f.Article, f.Message, f.Score)
				for _, p := range f.Passages {
					fmt.Fprintf(e.stdout, "  %-10s article bytes %d-%d  message bytes %d-%d\n", p.Kind, p.ArticleStart, p.ArticleEnd, p.MessageStart, p.MessageEnd)
				}
			}
			if len(findings) == 0 {
				fmt.Fprintln(e.stdout, "No article quotes any message.")
			}
			return nil
		},
	}
	match.Flags().StringVar(&msgDir, "messages", "", "directory of messages, one per file (required)")
	match.Flags().StringVar(&artDir, "articles", "", "directory of articles, one per file (required)")
	match.Flags().StringVar(&publicDir, "public", "", "directory of known public text whose reuse is no exposure")
	match.Flags().StringVar(&format, "format", "text", "output: text, or json (one object per line per exposed article and message)")
	_ = match.MarkFlagRequired("messages")
	_ = match.MarkFlagRequired("articles")
	c.AddCommand(match)
	return c
}

// maxDocument bounds one file read by exposure match.
const maxDocument = 64 << 20

// readDocs reads every regular file of dir as one document named by its
// file name, in name order.
func readDocs(dir, flag string) ([]exposure.Document, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	var out []exposure.Document
	for _, en := range entries {
		if !en.Type().IsRegular() {
			continue
		}
		b, err := readLimited(filepath.Join(dir, en.Name()), maxDocument)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, exposure.Document{Name: en.Name(), Text: b})
	}
	slices.SortFunc(out, func(a, b exposure.Document) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}
