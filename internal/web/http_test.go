package web_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// raw sends a request without following redirects or decoding anything
// and returns the response with its body read.
func raw(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// No transparent gzip: the test looks at what the server sent.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestHEAD: HEAD answers as GET would, headers and status, without a
// body, on the API, the pages and the log.
func TestHEAD(t *testing.T) {
	_, c, p, _ := newServer(t, 0)
	d := p["drafter@state.example"].Token
	st, m := c.call("POST", "/api/v1/messages", d, map[string]string{"title": "t", "body": "b"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, m)
	}
	for _, tt := range []struct {
		path  string
		token string
	}{
		{"/api/v1/messages", d},
		{"/api/v1/messages/" + m["id"].(string), d},
		{"/api/v1/messages/" + strings.Repeat("ab", 16), d}, // 404 either way
		{"/api/v1/messages", ""},                            // 401 either way
		{"/healthz", ""},
		{"/log/checkpoint", ""},
		{"/signin", ""},
	} {
		hdr := []string{}
		if tt.token != "" {
			hdr = append(hdr, "Authorization", "Bearer "+tt.token)
		}
		get, gb := raw(t, "GET", c.url+tt.path, hdr...)
		head, hb := raw(t, "HEAD", c.url+tt.path, hdr...)
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s = %d; GET = %d", tt.path, head.StatusCode, get.StatusCode)
		}
		if len(hb) != 0 {
			t.Errorf("HEAD %s sent a body of %d bytes", tt.path, len(hb))
		}
		if head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s Content-Type %q; GET %q", tt.path, head.Header.Get("Content-Type"), get.Header.Get("Content-Type"))
		}
		if len(gb) == 0 {
			t.Errorf("GET %s sent no body", tt.path)
		}
	}
}

// TestMethodNotAllowed: a known path with a method it does not take is 405
// with Allow, not 404 or 400; an unknown path stays 404.
func TestMethodNotAllowed(t *testing.T) {
	_, c, p, _ := newServer(t, 0)
	d := p["drafter@state.example"].Token
	id := strings.Repeat("ab", 16)
	for _, tt := range []struct {
		method, path string
		want         int
		allow        []string // methods Allow must name
		json         bool
	}{
		{"DELETE", "/api/v1/messages", 405, []string{"GET", "HEAD", "POST"}, true},
		{"PATCH", "/api/v1/messages/" + id, 405, []string{"GET", "PUT"}, true},
		{"GET", "/api/v1/messages/" + id + "/submit", 405, []string{"POST"}, true},
		{"POST", "/healthz", 405, []string{"GET", "HEAD"}, false},
		{"POST", "/log/checkpoint", 405, []string{"GET", "HEAD"}, true},
		{"PUT", "/log/tile/0/000", 405, []string{"GET", "HEAD"}, true},
		{"DELETE", "/api/v1/nothing", 404, nil, true},
		{"DELETE", "/nothing", 404, nil, false},
	} {
		resp, body := raw(t, tt.method, c.url+tt.path, "Authorization", "Bearer "+d, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s = %d; want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.want, body)
			continue
		}
		allow := resp.Header.Get("Allow")
		for _, m := range tt.allow {
			if !strings.Contains(allow, m) {
				t.Errorf("%s %s: Allow %q lacks %s", tt.method, tt.path, allow, m)
			}
		}
		if tt.allow == nil && allow != "" {
			t.Errorf("%s %s: Allow %q on an unknown path", tt.method, tt.path, allow)
		}
		if tt.want == 405 && tt.json && !strings.Contains(string(body), `"method_not_allowed"`) {
			t.Errorf("%s %s: body %s; want the error code method_not_allowed", tt.method, tt.path, body)
		}
	}
}

// TestLogHTTP: the tlog-tiles SHOULDs (immutable caching of full tiles,
// gzip of entry bundles, cross-origin reads) and 404 for every path that is
// not a tile, before the log is asked.
func TestLogHTTP(t *testing.T) {
	e, c, p, _ := newServer(t, 0)
	// Before the first publication there is no checkpoint, and no tile.
	if resp, _ := raw(t, "GET", c.url+"/log/checkpoint"); resp.StatusCode != 404 {
		t.Errorf("checkpoint before the first publication: %d; want 404", resp.StatusCode)
	}
	// More than 256 entries, for a full tile and a full entry bundle.
	for range 3 {
		for range 100 {
			if st, m := c.call("POST", "/api/v1/messages", p["drafter@state.example"].Token, map[string]string{"title": "t", "body": "b"}); st != 201 {
				t.Fatalf("create: %d %v", st, m)
			}
		}
	}
	// serve publishes every --checkpoint-interval; here, now.
	if _, err := e.Log.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, b := raw(t, "GET", c.url+"/log/checkpoint"); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("checkpoint: %d, CORS %q\n%s", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), b)
	}
	t.Run("full tiles are immutable", func(t *testing.T) {
		for _, path := range []string{"/log/tile/0/000", "/log/tile/entries/000"} {
			resp, b := raw(t, "GET", c.url+path)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d\n%s", path, resp.StatusCode, b)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s: Cache-Control %q; want public, max-age=31536000, immutable", path, cc)
			}
			if o := resp.Header.Get("Access-Control-Allow-Origin"); o != "*" {
				t.Errorf("GET %s: Access-Control-Allow-Origin %q; want *", path, o)
			}
		}
	})
	t.Run("partial tiles are not", func(t *testing.T) {
		for _, path := range []string{"/log/tile/0/001.p/", "/log/tile/entries/001.p/"} {
			// The partial width depends on the log's size; find it.
			found := false
			for w := 1; w < 256 && !found; w++ {
				r, _ := raw(t, "GET", c.url+path+itoa(w))
				if r.StatusCode == 200 {
					found = true
					if cc := r.Header.Get("Cache-Control"); strings.Contains(cc, "immutable") || strings.Contains(cc, "max-age") {
						t.Errorf("GET %s%d: Cache-Control %q; a partial tile changes", path, w, cc)
					}
				}
			}
			if !found {
				t.Errorf("no partial tile at %s…", path)
			}
		}
	})
	t.Run("entry bundles gzip", func(t *testing.T) {
		plain, pb := raw(t, "GET", c.url+"/log/tile/entries/000")
		zipped, zb := raw(t, "GET", c.url+"/log/tile/entries/000", "Accept-Encoding", "gzip")
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("without Accept-Encoding: Content-Encoding %q", plain.Header.Get("Content-Encoding"))
		}
		if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(zipped.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("with Accept-Encoding: gzip: Content-Encoding %q, Vary %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(strings.NewReader(string(zb)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || string(got) != string(pb) {
			t.Errorf("the gzipped bundle (%d bytes) is not the plain one (%d bytes): %v", len(zb), len(pb), err)
		}
		if _, b := raw(t, "GET", c.url+"/log/tile/entries/000", "Accept-Encoding", "gzip;q=0"); string(b) != string(pb) {
			t.Error("gzip;q=0 still got gzip")
		}
	})
	t.Run("preflight", func(t *testing.T) {
		resp, _ := raw(t, "OPTIONS", c.url+"/log/tile/0/000", "Origin", "https://monitor.example", "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "if-none-match")
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "GET") {
			t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("bad paths are 404", func(t *testing.T) {
		for _, path := range []string{
			"tile/data/000", "tile/-1/000", "tile/64/000", "tile/00/000", "tile/0/0000", "tile/0/1", "tile/0/x00/000",
			"tile/0/001/000", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/", "tile/0/000.p/01", "tile/entries/abc",
			"tile/entries/000/extra", "tile/8/0/000", "tile/", "tile/0/x999/999/999", "tile/0/%2e%2e/000",
		} {
			resp, b := raw(t, "GET", c.url+"/log/"+path)
			if resp.StatusCode != 404 {
				t.Errorf("GET /log/%s = %d; want 404\n%s", path, resp.StatusCode, b)
			}
		}
	})
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestBidiShownEscaped: a body or summary may hold bidirectional controls
// (titles may not); the pages show each as a visible [U+…] and never send
// one.
func TestBidiShownEscaped(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	m, err := e.Svc.CreateMessage(t.Context(), e.people["drafter@state.example"].Actor, dissent.Draft{Title: "Plain title", Summary: "sum \u202emary", Body: "Approve \u202egnirotinom\u202c now \u2066x\u2069"})
	if err != nil {
		t.Fatal(err)
	}
	c := browser(t)
	e.signInWithLink(t, c, "drafter@state.example")
	for _, path := range []string{"/messages/" + string(m.ID), "/messages/" + string(m.ID) + "/edit"} {
		resp, page := do(t, c, "GET", e.base+path, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if strings.ContainsFunc(page, dissent.IsBidiControl) {
			t.Errorf("GET %s sent a bidirectional control", path)
		}
		if !strings.Contains(page, "[U+202E]gnirotinom[U+202C]") {
			t.Errorf("GET %s does not show the override as [U+202E]:\n%s", path, page)
		}
	}
}
