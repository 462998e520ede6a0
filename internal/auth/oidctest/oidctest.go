// Package oidctest is an OpenID Connect identity provider that runs in the
// test process: discovery, JWKS, an authorization endpoint that signs in
// whoever the test names, and a token endpoint that checks the PKCE
// verifier and returns RS256-signed ID tokens, and a UserInfo endpoint for
// the access tokens it issued. A test may tamper with the ID tokens and the
// UserInfo answers to play an attacker or a provider that keeps the e-mail
// claims out of the ID token.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Claims are the ID token's claims; a Tamper function may change them.
type Claims map[string]any

// Provider is the fake identity provider.
type Provider struct {
	*httptest.Server
	ClientID     string
	ClientSecret string // empty: a public client

	key    *rsa.PrivateKey
	signer jose.Signer

	mu     sync.Mutex
	email  string
	verify bool
	codes  map[string]grant
	access map[string]grant // by access token
	// Tamper, if set, changes the claims of the ID tokens issued.
	tamper func(Claims)
	// signWith, if set, signs ID tokens with another key (an attacker's).
	signWith jose.Signer
	// tamperInfo, if set, changes the UserInfo answers.
	tamperInfo func(Claims)
}

type grant struct {
	nonce, challenge, redirect string
	email                      string
	verified                   bool
}

// New starts a provider for the client id; it stops when the test ends.
func New(t testing.TB, clientID string) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: clientID, key: key, signer: signer, codes: map[string]grant{}, access: map[string]grant{}, verify: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.URL }

// SignInAs makes the authorization endpoint sign in this e-mail, verified
// or not.
func (p *Provider) SignInAs(email string, verified bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.email, p.verify = email, verified
}

// Tamper changes the claims of every ID token issued from now on (nil to
// stop).
func (p *Provider) Tamper(f func(Claims)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// TamperUserInfo changes the claims of every UserInfo answer from now on
// (nil to stop).
func (p *Provider) TamperUserInfo(f func(Claims)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamperInfo = f
}

// SignWithForeignKey makes the provider sign ID tokens with a key that is
// not in its JWKS.
func (p *Provider) SignWithForeignKey(t testing.TB) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signWith = s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"userinfo_endpoint":                     p.URL + "/userinfo",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

// authorize signs in the configured person at once and redirects back
// with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := random()
	p.mu.Lock()
	p.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), email: p.email, verified: p.verify}
	p.mu.Unlock()
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	v := url.Values{"code": {code}, "state": {q.Get("state")}}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != p.ClientID || secret != p.ClientSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	g, ok := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // codes are single use
	tamper, signer := p.tamper, p.signer
	if p.signWith != nil {
		signer = p.signWith
	}
	p.mu.Unlock()
	if !ok || r.PostForm.Get("redirect_uri") != g.redirect {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "PKCE verifier does not match"})
		return
	}
	now := time.Now()
	c := Claims{
		"iss": p.URL, "sub": "sub-" + g.email, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.nonce, "email": g.email, "email_verified": g.verified,
	}
	if tamper != nil {
		tamper(c)
	}
	payload, _ := json.Marshal(c)
	jws, err := signer.Sign(payload)
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": "server_error"})
		return
	}
	raw, _ := jws.CompactSerialize()
	at := random()
	p.mu.Lock()
	p.access[at] = g
	p.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

// userinfo answers the claims of the grant the bearer access token was
// issued for.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	at, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	g, found := p.access[at]
	tamper := p.tamperInfo
	p.mu.Unlock()
	if !ok || !found {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, 401, map[string]string{"error": "invalid_token"})
		return
	}
	c := Claims{"sub": "sub-" + g.email, "email": g.email, "email_verified": g.verified}
	if tamper != nil {
		tamper(c)
	}
	writeJSON(w, 200, c)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
