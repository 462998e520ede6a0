// Package auth runs the sign-in ceremonies of Dissent and keeps its
// browser sessions: passkeys (WebAuthn), OIDC single sign-on (authorization
// code flow with PKCE, state and nonce), and server-side sessions
// (github.com/alexedwards/scs/v2) stored in the deployment's database through
// *dissent.Service, which hashes their tokens.
//
// Security properties:
//   - A ceremony's challenge, state, nonce and PKCE verifier live in the
//     server-side session, are single use (popped before they are checked),
//     and expire with the ceremony (CeremonyTTL).
//   - Only verified outcomes reach the Service: a passkey assertion whose
//     signature, origin, RP id, challenge and counter check out; an ID token
//     whose signature, issuer, audience, expiry and nonce check out.
//   - Session cookies are HttpOnly, SameSite=Lax, Secure (and __Host-
//     prefixed) when the public URL is https; the session token is renewed at
//     every sign-in (no fixation) and sessions end on idle and absolute
//     timeouts.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// CeremonyTTL bounds how long a passkey or single sign-on ceremony may take.
const CeremonyTTL = 5 * time.Minute

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
