package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/web"
)

// zitadelUsers is the real provider's user directory: one person of the
// state organization, with a verified e-mail.
type zitadelUsers struct{ user *storage.User }

func (u zitadelUsers) GetUserByID(id string) *storage.User {
	if id == u.user.ID {
		return u.user
	}
	return nil
}

func (u zitadelUsers) GetUserByUsername(name string) *storage.User {
	if name == u.user.Username {
		return u.user
	}
	return nil
}

func (zitadelUsers) ExampleClientID() string { return "service" }

// zitadelStorage is the example storage of github.com/zitadel/oidc with
// the choice OpenID Connect Core §5.4 leaves to the provider: whether the
// e-mail claims go into the ID token or only to UserInfo. It counts the
// UserInfo answers.
type zitadelStorage struct {
	*storage.Storage
	claimsInIDToken bool
	userinfo        atomic.Int32
}

type zitadelClient struct {
	op.Client
	claimsInIDToken bool
}

func (c zitadelClient) IDTokenUserinfoClaimsAssertion() bool { return c.claimsInIDToken }

func (s *zitadelStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return zitadelClient{Client: c, claimsInIDToken: s.claimsInIDToken}, nil
}

func (s *zitadelStorage) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	s.userinfo.Add(1)
	return s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin)
}

// TestRealOIDC signs in through the OpenID provider of
// github.com/zitadel/oidc (its op package with the example storage and
// login page, in this process) as a public client with PKCE: first with the
// e-mail claims only in UserInfo (the library's default for the code flow),
// then with them also in the ID token.
func TestRealOIDC(t *testing.T) {
	e := newAuthEnv(t, web.Limits{})
	for _, tt := range []struct {
		name            string
		claimsInIDToken bool
		wantUserInfo    int32
	}{
		{"e-mail only in UserInfo", false, 1},
		{"e-mail also in the ID token", true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			users := zitadelUsers{&storage.User{ID: "u1", Username: "drafter", Password: "correct horse", Email: "drafter@state.example", EmailVerified: true}}
			client := storage.NativeClient("dissent-real", e.base+"/signin/oidc/callback")
			st := &zitadelStorage{Storage: storage.NewStorageWithClients(users, map[string]*storage.Client{"dissent-real": client}), claimsInIDToken: tt.claimsInIDToken}
			idp := httptest.NewUnstartedServer(nil)
			idp.Config.Handler = exampleop.SetupServer("http://"+idp.Listener.Addr().String(), st, nil, false)
			idp.Start()
			defer idp.Close()
			if err := e.Svc.SetOIDCProvider(context.Background(), dissent.System, dissent.OIDCProvider{OrgID: "state", Issuer: idp.URL, ClientID: "dissent-real"}); err != nil {
				t.Fatal(err)
			}

			c := browser(t)
			resp, _ := do(t, c, "GET", e.base+"/signin/oidc/state", nil)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("start: %d", resp.StatusCode)
			}
			// The provider's authorization endpoint sends the browser to
			// its login page.
			resp, body := do(t, c, "GET", resp.Header.Get("Location"), nil)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("authorize: %d %s", resp.StatusCode, body)
			}
			login, err := url.Parse(idp.URL)
			if err != nil {
				t.Fatal(err)
			}
			login, err = login.Parse(resp.Header.Get("Location"))
			if err != nil {
				t.Fatal(err)
			}
			id := login.Query().Get("authRequestID")
			if id == "" {
				t.Fatalf("the provider sent the browser to %s; want its login page", login)
			}
			f, k, v := form(url.Values{"id": {id}, "username": {"drafter"}, "password": {"correct horse"}})
			resp, body = do(t, c, "POST", idp.URL+"/login/username", f, k, v)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("login: %d %s", resp.StatusCode, body)
			}
			// The provider's callback issues the code and sends the browser
			// back to Dissent.
			next, _ := url.Parse(idp.URL)
			next, _ = next.Parse(resp.Header.Get("Location"))
			resp, body = do(t, c, "GET", next.String(), nil)
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), e.base+"/signin/oidc/callback?") {
				t.Fatalf("provider callback: %d to %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			resp, body = do(t, c, "GET", resp.Header.Get("Location"), nil)
			// An employee lands on their messages (the landing page by role).
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/messages") {
				t.Fatalf("Dissent's callback = %d to %q; want 303 to the landing page /messages\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			if resp, _ := do(t, c, "GET", e.base+"/account", nil); resp.StatusCode != 200 {
				t.Errorf("account page after single sign-on: %d", resp.StatusCode)
			}
			if got := st.userinfo.Load(); got != tt.wantUserInfo {
				t.Errorf("UserInfo asked %d times; want %d", got, tt.wantUserInfo)
			}
		})
	}
}
