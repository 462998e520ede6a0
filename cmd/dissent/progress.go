package main

import (
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Progress bars for long commands (import, backup, restore, keys rotate;
// verify may call the same): shown on stderr only when it is a terminal,
// never with --quiet, so scripts and logs get none.

// quietFlag adds --quiet to c.
func quietFlag(c *cobra.Command, quiet *bool) {
	c.Flags().BoolVarP(quiet, "quiet", "q", false, "show no progress bar")
}

// newProgress returns a bar of total steps (-1: unknown) on w, or nil when
// quiet or when w is not a terminal. A nil bar is safe to use through
// progressTo and finish.
func newProgress(w io.Writer, quiet bool, what string, total int64) *progressbar.ProgressBar {
	if quiet {
		return nil
	}
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
}

// progressTo sets a bar to done of total; nothing for a nil bar.
func progressTo(b *progressbar.ProgressBar, done, total int64) {
	if b == nil {
		return
	}
	if total >= 0 && b.GetMax64() != total {
		b.ChangeMax64(total)
	}
	_ = b.Set64(done)
}

// finish ends a bar; nothing for a nil bar.
func finish(b *progressbar.ProgressBar) {
	if b != nil {
		_ = b.Finish()
	}
}
