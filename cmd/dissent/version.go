package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// version is what `dissent --version` prints: the module's version and the
// VCS revision the binary was built from, as the Go toolchain recorded them
// (debug.ReadBuildInfo). `go install …@v1.2.3` records the version; a build
// in a clone records "(devel)" and the revision, with "+dirty" for
// uncommitted changes.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return v + ", revision unknown, " + bi.GoVersion
	}
	if dirty {
		rev += "+dirty"
	}
	out := v + ", revision " + rev
	if at != "" {
		out += " (" + at + ")"
	}
	return out + ", " + bi.GoVersion
}

// flagAliases are flags people reach for that Dissent spells otherwise.
var flagAliases = map[string]string{
	"port": "addr", "listen": "addr", "bind": "addr", "host": "addr", "address": "addr",
	"database": "db", "database-url": "db", "dsn": "db", "url": "public-url", "base-url": "public-url",
	"data-dir": "data", "datadir": "data", "dir": "data", "mail": "smtp", "from": "mail-from",
	"cert": "tls-cert", "key": "tls-key",
}

// suggestFlag adds to an unknown-flag error the command's flag nearest to
// the one given: a known alias, or one within two edits.
func suggestFlag(c *cobra.Command, err error) error {
	msg := err.Error()
	i := strings.Index(msg, "unknown flag: --")
	if i < 0 {
		return err
	}
	name := strings.TrimPrefix(msg[i:], "unknown flag: --")
	if j := strings.IndexAny(name, " =\n"); j >= 0 {
		name = name[:j]
	}
	best, dist := "", 3
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if flagAliases[name] == f.Name {
			best, dist = f.Name, -1
			return
		}
		if d := editDistance(name, f.Name); d < dist {
			best, dist = f.Name, d
		}
	})
	if best == "" {
		return fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())
	}
	return fmt.Errorf("%w; did you mean --%s?", err, best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
