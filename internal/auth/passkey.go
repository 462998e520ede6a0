package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/dissent-channel/dissent"
)

// Passkeys runs WebAuthn ceremonies for one relying party: the host of the
// public URL, with the public URL's origin as the only allowed origin.
type Passkeys struct {
	w   *webauthn.WebAuthn
	svc *dissent.Service
}

// NewPasskeys configures the relying party from the public URL.
func NewPasskeys(svc *dissent.Service, publicURL string) (*Passkeys, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("passkeys: the public URL %q is not an http(s) URL", publicURL)
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Dissent",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return &Passkeys{w: w, svc: svc}, nil
}

// user adapts a dissent.WebAuthnUser to the library.
type user struct {
	u     dissent.WebAuthnUser
	creds []webauthn.Credential
}

func newUser(u dissent.WebAuthnUser) (*user, error) {
	out := &user{u: u}
	for _, pk := range u.Passkeys {
		var c webauthn.Credential
		if err := json.Unmarshal(pk.Credential, &c); err != nil {
			return nil, fmt.Errorf("decode passkey: %w", err)
		}
		out.creds = append(out.creds, c)
	}
	return out, nil
}

func (u *user) WebAuthnID() []byte                         { return u.u.Handle }
func (u *user) WebAuthnName() string                       { return u.u.Person.Email }
func (u *user) WebAuthnDisplayName() string                { return u.u.Person.Name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// ErrCeremony is returned for a ceremony that failed verification; its
// cause is for the log only.
var ErrCeremony = errors.New("the passkey ceremony failed")

func ceremonyError(err error) error {
	return &dissent.Error{Kind: dissent.KindUnauthenticated, Code: "bad_passkey", Message: "the passkey could not be verified; try again", Err: errors.Join(ErrCeremony, err)}
}

// BeginRegistration starts registering a new passkey for the actor: it
// returns the options for navigator.credentials.create and the state to
// keep in the session.
func (p *Passkeys) BeginRegistration(ctx context.Context, a dissent.Actor) (options, state []byte, err error) {
	wu, err := p.svc.WebAuthnUser(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	u, err := newUser(wu)
	if err != nil {
		return nil, nil, err
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := p.w.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, nil, fmt.Errorf("begin registration: %w", err)
	}
	return marshalPair(creation, sd)
}

// FinishRegistration verifies the browser's answer and stores the passkey.
func (p *Passkeys) FinishRegistration(ctx context.Context, a dissent.Actor, state, body []byte, name string) error {
	var sd webauthn.SessionData
	if err := json.Unmarshal(state, &sd); err != nil || len(state) == 0 {
		return ceremonyError(errors.New("no registration under way"))
	}
	wu, err := p.svc.WebAuthnUser(ctx, a)
	if err != nil {
		return err
	}
	u, err := newUser(wu)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return ceremonyError(err)
	}
	cred, err := p.w.CreateCredential(u, sd, parsed)
	if err != nil {
		return ceremonyError(err)
	}
	rec, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("encode passkey: %w", err)
	}
	return p.svc.AddPasskey(ctx, a, dissent.Passkey{ID: cred.ID, Name: name, Credential: rec})
}

// BeginLogin starts a passkey sign-in (discoverable: the browser offers the
// person's passkeys for this site, so nobody types an e-mail address).
func (p *Passkeys) BeginLogin() (options, state []byte, err error) {
	assertion, sd, err := p.w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, nil, fmt.Errorf("begin login: %w", err)
	}
	return marshalPair(assertion, sd)
}

// FinishLogin verifies the browser's assertion and signs its person in. A
// signature counter that went backwards (a cloned authenticator) is refused.
func (p *Passkeys) FinishLogin(ctx context.Context, state, body []byte, addr string) (dissent.Actor, error) {
	var sd webauthn.SessionData
	if err := json.Unmarshal(state, &sd); err != nil || len(state) == 0 {
		return dissent.Actor{}, ceremonyError(errors.New("no sign-in under way"))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return dissent.Actor{}, ceremonyError(err)
	}
	var handle []byte
	lookup := func(rawID, userHandle []byte) (webauthn.User, error) {
		wu, err := p.svc.WebAuthnUserByHandle(ctx, userHandle)
		if err != nil {
			return nil, err
		}
		handle = userHandle
		return newUser(wu)
	}
	_, cred, err := p.w.ValidatePasskeyLogin(lookup, sd, parsed)
	if err != nil {
		return dissent.Actor{}, ceremonyError(err)
	}
	if cred.Authenticator.CloneWarning {
		return dissent.Actor{}, ceremonyError(errors.New("signature counter went backwards: possible cloned authenticator"))
	}
	if !bytes.Equal(cred.ID, parsed.RawID) {
		return dissent.Actor{}, ceremonyError(errors.New("credential id mismatch"))
	}
	rec, err := json.Marshal(cred)
	if err != nil {
		return dissent.Actor{}, fmt.Errorf("encode passkey: %w", err)
	}
	return p.svc.SignInWithPasskey(ctx, handle, cred.ID, rec, addr)
}

func marshalPair(options any, sd *webauthn.SessionData) ([]byte, []byte, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return nil, nil, fmt.Errorf("encode options: %w", err)
	}
	if sd.Expires.IsZero() {
		sd.Expires = time.Now().Add(CeremonyTTL)
	}
	s, err := json.Marshal(sd)
	if err != nil {
		return nil, nil, fmt.Errorf("encode ceremony state: %w", err)
	}
	return o, s, nil
}
