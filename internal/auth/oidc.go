package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/dissent-channel/dissent"
)

// OIDC runs single sign-on with the identity providers the organizations
// have configured: the authorization code flow with PKCE (S256), state and
// nonce.
type OIDC struct {
	svc         *dissent.Service
	redirectURL string
	getenv      func(string) string
	client      *http.Client

	mu        sync.Mutex
	providers map[string]*oidc.Provider // by issuer, discovered once
}

// NewOIDC returns single sign-on for the service whose callback is at
// publicURL + "/signin/oidc/callback". getenv reads client secrets, which
// are never stored. client talks to the identity providers (nil for one
// with a 10-second timeout).
func NewOIDC(svc *dissent.Service, publicURL string, getenv func(string) string, client *http.Client) *OIDC {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &OIDC{svc: svc, redirectURL: strings.TrimRight(publicURL, "/") + "/signin/oidc/callback", getenv: getenv, client: client, providers: map[string]*oidc.Provider{}}
}

// OIDCState is what a sign-in keeps in the session between the redirect to
// the identity provider and its callback.
type OIDCState struct {
	OrgID    string    `json:"org"`
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Expires  time.Time `json:"expires"`
}

func ssoError(code, msg string, err error) error {
	return &dissent.Error{Kind: dissent.KindUnauthenticated, Code: code, Message: msg, Err: err}
}

func (o *OIDC) provider(ctx context.Context, orgID string) (dissent.OIDCProvider, *oidc.Provider, error) {
	ps, err := o.svc.OIDCProviders(ctx)
	if err != nil {
		return dissent.OIDCProvider{}, nil, err
	}
	for _, p := range ps {
		if p.OrgID != orgID {
			continue
		}
		o.mu.Lock()
		op := o.providers[p.Issuer]
		o.mu.Unlock()
		if op == nil {
			op, err = oidc.NewProvider(oidc.ClientContext(ctx, o.client), p.Issuer)
			if err != nil {
				return p, nil, &dissent.Error{Kind: dissent.KindUnavailable, Code: "sso_unavailable", Message: "the identity provider cannot be reached; try again later", Err: err}
			}
			o.mu.Lock()
			o.providers[p.Issuer] = op
			o.mu.Unlock()
		}
		return p, op, nil
	}
	return dissent.OIDCProvider{}, nil, dissent.ErrNotFound("single sign-on for this organization")
}

func (o *OIDC) config(p dissent.OIDCProvider, op *oidc.Provider) *oauth2.Config {
	c := &oauth2.Config{
		ClientID:    p.ClientID,
		Endpoint:    op.Endpoint(),
		RedirectURL: o.redirectURL,
		Scopes:      []string{oidc.ScopeOpenID, "email"},
	}
	if p.ClientSecretEnv != "" {
		c.ClientSecret = o.getenv(p.ClientSecretEnv)
	}
	return c
}

// Begin starts a sign-in with the organization's identity provider: it
// returns the URL to send the browser to and the state to keep in the
// session.
func (o *OIDC) Begin(ctx context.Context, orgID string) (redirect string, state []byte, err error) {
	p, op, err := o.provider(ctx, orgID)
	if err != nil {
		return "", nil, err
	}
	st := OIDCState{OrgID: orgID, State: randomString(32), Nonce: randomString(32), Verifier: oauth2.GenerateVerifier(), Expires: time.Now().Add(CeremonyTTL)}
	b, err := json.Marshal(st)
	if err != nil {
		return "", nil, err
	}
	u := o.config(p, op).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return u, b, nil
}

// Finish completes a sign-in at the callback: it checks state, exchanges
// the code (with the PKCE verifier), verifies the ID token (signature,
// issuer, audience, expiry) and its nonce, takes the e-mail claims from the
// ID token or, when it lacks them, from UserInfo (whose subject must be the
// ID token's), and signs in the person with that verified e-mail in the
// provider's organization.
func (o *OIDC) Finish(ctx context.Context, saved []byte, query map[string][]string, addr string) (dissent.Actor, error) {
	get := func(k string) string {
		if v := query[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	var st OIDCState
	if len(saved) == 0 || json.Unmarshal(saved, &st) != nil || st.State == "" {
		return dissent.Actor{}, ssoError("sso_no_state", "no single sign-on was under way in this browser; start again", nil)
	}
	if time.Now().After(st.Expires) {
		return dissent.Actor{}, ssoError("sso_expired", "the single sign-on took too long; start again", nil)
	}
	if subtle.ConstantTimeCompare([]byte(get("state")), []byte(st.State)) != 1 {
		return dissent.Actor{}, ssoError("sso_bad_state", "the single sign-on answer does not belong to this browser; start again", nil)
	}
	if e := get("error"); e != "" {
		return dissent.Actor{}, ssoError("sso_denied", "the identity provider refused the sign-in", errors.New(e))
	}
	code := get("code")
	if code == "" || len(code) > 2048 {
		return dissent.Actor{}, ssoError("sso_bad_code", "the identity provider sent no authorization code", nil)
	}
	p, op, err := o.provider(ctx, st.OrgID)
	if err != nil {
		return dissent.Actor{}, err
	}
	cctx := oidc.ClientContext(ctx, o.client)
	tok, err := o.config(p, op).Exchange(cctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return dissent.Actor{}, ssoError("sso_exchange", "the identity provider did not accept the sign-in", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return dissent.Actor{}, ssoError("sso_no_id_token", "the identity provider sent no ID token", nil)
	}
	idt, err := op.VerifierContext(cctx, &oidc.Config{ClientID: p.ClientID}).Verify(cctx, raw)
	if err != nil {
		return dissent.Actor{}, ssoError("sso_bad_id_token", "the identity provider's ID token is not valid", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return dissent.Actor{}, ssoError("sso_bad_nonce", "the identity provider's ID token was not made for this sign-in", nil)
	}
	// OpenID Connect Core §5.4: the code flow may return the e-mail claims
	// only from UserInfo, so ask it when the ID token lacks them. UserInfo
	// answers for whoever holds the access token; its sub MUST be the ID
	// token's (§5.3.2), else it speaks of someone else.
	var claims emailClaims
	if err := idt.Claims(&claims); err != nil {
		return dissent.Actor{}, ssoError("sso_bad_id_token", "the identity provider's ID token is not valid", err)
	}
	if claims.Email == "" || claims.EmailVerified == nil {
		ui, err := op.UserInfo(cctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return dissent.Actor{}, ssoError("sso_userinfo", "the identity provider's ID token carries no e-mail address and its UserInfo endpoint did not answer", err)
		}
		if ui.Subject == "" || subtle.ConstantTimeCompare([]byte(ui.Subject), []byte(idt.Subject)) != 1 {
			return dissent.Actor{}, ssoError("sso_userinfo_subject", "the identity provider's UserInfo answer is about another subject than its ID token", nil)
		}
		var uc emailClaims
		if err := ui.Claims(&uc); err != nil {
			return dissent.Actor{}, ssoError("sso_userinfo", "the identity provider's UserInfo answer is not valid", err)
		}
		if claims.Email == "" {
			claims = uc
		} else if claims.EmailVerified == nil && strings.EqualFold(uc.Email, claims.Email) {
			claims.EmailVerified = uc.EmailVerified
		}
	}
	if claims.Email == "" {
		return dissent.Actor{}, ssoError("sso_no_email", "your identity provider sent no e-mail address (the email claim is missing); ask its administrator to release the email scope to Dissent", nil)
	}
	if claims.EmailVerified == nil {
		return dissent.Actor{}, ssoError("sso_no_email_verified", "your identity provider did not say whether it verified your e-mail address (the email_verified claim is missing)", nil)
	}
	// Some providers send "true" as a string.
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	return o.svc.SignInWithOIDC(ctx, dissent.OIDCIdentity{OrgID: st.OrgID, Email: claims.Email, EmailVerified: verified}, addr)
}

// emailClaims are the claims Finish reads, from the ID token or UserInfo;
// EmailVerified is nil when the claim is missing.
type emailClaims struct {
	Email         string `json:"email"`
	EmailVerified any    `json:"email_verified"`
}
