package mail

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseURL: parseURL never panics, accepts only smtp URLs with a host
// and a port in range, and its errors never repeat the password.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"smtp://u:p@mail.example:587", "smtp://relay:25/?tls=none", "smtp://:25", "http://x", "smtp://u:p@h:0", "smtp://h/?tls=x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sv, err := parseURL(s)
		if err != nil {
			if u, perr := url.Parse(s); perr == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && len(p) >= 4 && strings.Contains(err.Error(), p) {
					t.Errorf("parseURL(%q) error %q repeats the password", s, err)
				}
			}
			return
		}
		if sv.host == "" || sv.port < 1 || sv.port > 65535 {
			t.Errorf("parseURL(%q) = %+v; want a host and a port in range", s, sv)
		}
	})
}
