package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// undocumented lists the registered patterns that openapi.json leaves out on
// purpose, with the reason.
var undocumented = map[string]string{
	"/api/": "the catch-all that answers 404 not_found to unknown API routes and methods",
}

// machineRoute reports whether a path is one that programs call (the API,
// the public log, the probes), which openapi.json must describe; the HTML
// pages for people are listed in routes.go only.
func machineRoute(path string) bool {
	for _, p := range []string{"/api/", "/log/", "/healthz", "/readyz", "/metrics"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// openAPIPath writes a ServeMux pattern's path in OpenAPI's syntax: a
// wildcard {name...} (the rest of the path) is {name}.
func openAPIPath(path string) string { return strings.ReplaceAll(path, "...}", "}") }

// httpMethods are the keys of an OpenAPI path item that name operations.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// testServer returns a Server without a Service: enough to list the routes
// and to serve what answers before the Service is asked (the document, the
// probes, and 401 to requests without a token).
func testServer() *Server {
	return New(nil, Options{Logger: slog.New(slog.DiscardHandler)})
}

// loadOpenAPI decodes the embedded document.
func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// resolve follows "$ref": "#/..." pointers within doc until it reaches a node
// that is not a reference.
func resolve(t *testing.T, doc map[string]any, node any) map[string]any {
	t.Helper()
	for range 10 {
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("openapi.json: %v is not an object", node)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		node = pointer(doc, ref)
		if node == nil {
			t.Fatalf("openapi.json: $ref %q does not resolve", ref)
		}
	}
	t.Fatalf("openapi.json: $ref chain too long at %v", node)
	return nil
}

// pointer returns the node a local JSON pointer ("#/a/b") names, or nil.
func pointer(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var node any = doc
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		if node, ok = m[part]; !ok {
			return nil
		}
	}
	return node
}

// operations returns every "METHOD /path" the document describes, with its
// operation object.
func operations(t *testing.T, doc map[string]any) map[string]map[string]any {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok || len(paths) == 0 {
		t.Fatal("openapi.json has no paths")
	}
	ops := map[string]map[string]any{}
	for path, item := range paths {
		item, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("paths[%q] is not an object", path)
		}
		for key, op := range item {
			if !slices.Contains(httpMethods, key) {
				continue
			}
			op, ok := op.(map[string]any)
			if !ok {
				t.Fatalf("paths[%q].%s is not an object", path, key)
			}
			ops[strings.ToUpper(key)+" "+path] = op
		}
	}
	return ops
}

func TestOpenAPIDocument(t *testing.T) {
	if !json.Valid(openAPI) {
		t.Fatal("openapi.json is not valid JSON")
	}
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf(`openapi = %q; want "3.1.x"`, v)
	}
	info, _ := doc["info"].(map[string]any)
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
	if pointer(doc, "#/components/securitySchemes/bearer/scheme") != "bearer" {
		t.Error(`components.securitySchemes.bearer is not {"type":"http","scheme":"bearer"}`)
	}
	ids := map[string]string{}
	for route, op := range operations(t, doc) {
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", route)
		} else if other, dup := ids[id]; dup {
			t.Errorf("operationId %q is used by both %s and %s", id, other, route)
		}
		ids[id] = route
		if rs, _ := op["responses"].(map[string]any); len(rs) == 0 {
			t.Errorf("%s has no responses", route)
		}
	}
}

// TestOpenAPIRefsResolve checks that every "$ref" in the document points at
// something, so that a hand edit cannot leave a dangling reference.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	var walk func(where string, node any)
	walk = func(where string, node any) {
		switch n := node.(type) {
		case map[string]any:
			if ref, ok := n["$ref"].(string); ok && pointer(doc, ref) == nil {
				t.Errorf("%s: $ref %q does not resolve", where, ref)
			}
			for k, v := range n {
				walk(where+"/"+k, v)
			}
		case []any:
			for _, v := range n {
				walk(where, v)
			}
		}
	}
	walk("#", doc)
}

// TestOpenAPICoversRoutes checks that every route in routes.go is described.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := operations(t, doc)
	for _, pattern := range testServer().Routes() {
		t.Run(pattern, func(t *testing.T) {
			if _, ok := undocumented[pattern]; ok {
				return // left out of openapi.json on purpose
			}
			method, path, ok := strings.Cut(pattern, " ")
			path = openAPIPath(path)
			if !machineRoute(path) && (!ok || ops[method+" "+path] == nil) {
				return // an HTML page for people, listed in routes.go
			}
			if !ok {
				t.Fatalf("route %q has no method: describe it in openapi.json or add it to undocumented", pattern)
			}
			if _, ok := ops[method+" "+path]; !ok {
				t.Errorf("route %q is registered in routes.go but missing from openapi.json (want paths[%q].%s)",
					pattern, path, strings.ToLower(method))
			}
		})
	}
}

// TestOpenAPIOperationsAreRoutes checks that the document describes no route
// that routes.go does not register.
func TestOpenAPIOperationsAreRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	var routes []string
	for _, r := range testServer().Routes() {
		routes = append(routes, openAPIPath(r))
	}
	allowed := []string{"summary", "description", "parameters", "servers"}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		if strings.Contains(path, "...") || strings.Contains(path, "$") {
			t.Errorf("paths[%q] uses ServeMux's syntax, not OpenAPI's", path)
		}
		item, _ := item.(map[string]any)
		for key := range item {
			if !slices.Contains(httpMethods, key) {
				if !slices.Contains(allowed, key) {
					t.Errorf("paths[%q] has the unknown key %q", path, key)
				}
				continue
			}
			route := strings.ToUpper(key) + " " + path
			if !slices.Contains(routes, route) {
				t.Errorf("openapi.json describes %q, which routes.go does not register", route)
			}
		}
	}
}

// TestOpenAPISecurity checks each operation's security against the handler:
// an operation that needs a bearer token must answer 401 in the error format
// to a request without one, and a public GET must not.
func TestOpenAPISecurity(t *testing.T) {
	doc := loadOpenAPI(t)
	srv := testServer()
	examples := map[string]string{"id": "0123456789abcdef0123456789abcdef", "reply": "1", "secret": "dsl_example", "org": "state", "file": "passkey.js", "level": "0", "index": "000", "aid": "0123456789abcdef0123456789abcdef"}
	param := regexp.MustCompile(`\{(\w+)\}`)
	ops := operations(t, doc)
	routes := make([]string, 0, len(ops))
	for r := range ops {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, route := range routes {
		op := ops[route]
		t.Run(route, func(t *testing.T) {
			method, path, _ := strings.Cut(route, " ")
			path = param.ReplaceAllStringFunc(path, func(p string) string {
				v, ok := examples[strings.Trim(p, "{}")]
				if !ok {
					t.Fatalf("no example value for the path parameter %s", p)
				}
				return v
			})
			security, ok := op["security"].([]any)
			if !ok {
				security, _ = doc["security"].([]any)
			}
			public := len(security) == 0
			responses, _ := op["responses"].(map[string]any)

			if public {
				if method != http.MethodGet {
					return // public writes reach the Service, which this test has not got
				}
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
				if rec.Code == http.StatusUnauthorized {
					t.Errorf("%s %s = 401, but openapi.json marks it public (security: [])", method, path)
				}
				return
			}
			if _, ok := responses["401"]; !ok {
				t.Errorf("openapi.json lists no 401 response for %s, which needs a bearer token", route)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("%s %s without a token = %d; openapi.json says it needs a bearer token (want 401)", method, path, rec.Code)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q; want a Bearer challenge", got)
			}
			var body errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != "unauthenticated" || body.Error.RequestID == "" {
				t.Errorf("401 body = %s; want the error format with code unauthenticated and a request_id", rec.Body)
			}
		})
	}
}

// jsonFields returns the JSON names of a struct's fields, and those that are
// always present (no omitempty).
func jsonFields(v any) (all, always []string) {
	typ := reflect.TypeOf(v)
	for i := range typ.NumField() {
		name, opts, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	sort.Strings(always)
	return all, always
}

// setDiff returns the elements of a that are not in b.
func setDiff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// schemaFields returns a component schema's property names and its required
// list.
func schemaFields(t *testing.T, doc map[string]any, name string) (props, required []string) {
	t.Helper()
	s := resolve(t, doc, map[string]any{"$ref": "#/components/schemas/" + name})
	ps, _ := s["properties"].(map[string]any)
	for p := range ps {
		props = append(props, p)
	}
	rs, _ := s["required"].([]any)
	for _, r := range rs {
		if r, ok := r.(string); ok {
			required = append(required, r)
		}
	}
	sort.Strings(props)
	sort.Strings(required)
	return props, required
}

// TestOpenAPISchemasMatchViews checks that the documented shapes have
// exactly the fields of the Go types the handlers encode and decode.
func TestOpenAPISchemasMatchViews(t *testing.T) {
	doc := loadOpenAPI(t)
	tests := []struct {
		schema string
		value  any
		// checkRequired: the schema's required list is the fields without
		// omitempty (answers); for request bodies, required is a matter of
		// validation and is not derived from the Go type.
		checkRequired bool
	}{
		{"ErrorDetail", errorDetail{}, true},
		{"Message", messageJSON{}, true},
		{"Reply", replyJSON{}, true},
		{"Endorsement", endorsementJSON{}, true},
		{"Consultation", consultationJSON{}, true},
		{"Meeting", meetingJSON{}, true},
		{"Signer", signerJSON{}, true},
		{"AccessEntry", accessJSON{}, true},
		{"Invitation", invitationJSON{}, true},
		{"Notification", notificationJSON{}, true},
		{"Attachment", attachmentJSON{}, true},
		{"Vocabulary", vocabularyJSON{}, true},
		{"VocabEntry", vocabEntryJSON{}, true},
		{"StatisticsRow", statsRowJSON{}, true},
		{"FindingSummary", findingJSON{}, true},
		{"PublicReport", dissent.PublicReport{}, true},
		{"ReportCount", dissent.ReportCount{}, true},
		{"ReportShare", dissent.ReportShare{}, true},
		{"DraftRequest", draftRequest{}, false},
		{"EmailRequest", emailRequest{}, false},
		{"InvitationRequest", emailsRequest{}, false},
		{"DistributionRequest", emailsRequest{}, false},
		{"SignRequest", signRequest{}, false},
		{"SubmitRequest", hashRequest{}, false},
		{"EndorsementRequest", bodyRequest{}, false},
		{"InputRequest", bodyRequest{}, false},
		{"ReplyRequest", bodyRequest{}, false},
		{"ConsultRequest", consultRequest{}, false},
		{"ExtendRequest", extendRequest{}, false},
		{"RedirectRequest", redirectRequest{}, false},
		{"MeetingRequest", meetingRequest{}, false},
		{"ReasonRequest", reasonRequest{}, false},
		{"SignInLinkRequest", linkRequest{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			props, required := schemaFields(t, doc, tt.schema)
			all, always := jsonFields(tt.value)
			if missing, extra := setDiff(all, props), setDiff(props, all); len(missing)+len(extra) > 0 {
				t.Errorf("schema %s: properties missing %v and extra %v compared with the JSON fields of %T",
					tt.schema, missing, extra, tt.value)
			}
			if !tt.checkRequired {
				return
			}
			if missing, extra := setDiff(always, required), setDiff(required, always); len(missing)+len(extra) > 0 {
				t.Errorf("schema %s: required lacks %v (always sent by %T) and holds %v (omitempty in %T)",
					tt.schema, missing, tt.value, extra, tt.value)
			}
		})
	}
}

// TestOpenAPIRequestBodies checks that every JSON request body is closed
// (the decoder refuses unknown fields) and that the limits match the domain's.
func TestOpenAPIRequestBodies(t *testing.T) {
	doc := loadOpenAPI(t)
	for route, op := range operations(t, doc) {
		rb, ok := op["requestBody"]
		if !ok {
			continue
		}
		content, _ := resolve(t, doc, rb)["content"].(map[string]any)
		media, ok := content["application/json"].(map[string]any)
		if !ok {
			continue // the HTML form
		}
		if s := resolve(t, doc, media["schema"]); s["additionalProperties"] != false {
			t.Errorf("%s: the request body schema lacks additionalProperties: false", route)
		}
	}

	tests := []struct {
		ref  string // a JSON pointer into the document
		want int
	}{
		{"#/components/schemas/DraftRequest/properties/title/maxLength", dissent.MaxTitle},
		{"#/components/schemas/DraftRequest/properties/summary/maxLength", dissent.MaxSummary},
		{"#/components/schemas/DraftRequest/properties/body/maxLength", dissent.MaxBody},
		{"#/components/schemas/Message/properties/title/maxLength", dissent.MaxTitle},
		{"#/components/schemas/Message/properties/summary/maxLength", dissent.MaxSummary},
		{"#/components/schemas/Message/properties/body/maxLength", dissent.MaxBody},
		{"#/components/schemas/ReplyRequest/properties/body/maxLength", dissent.MaxReply},
		{"#/components/schemas/InputRequest/properties/body/maxLength", dissent.MaxReply},
		{"#/components/schemas/EndorsementRequest/properties/body/maxLength", dissent.MaxReason},
		{"#/components/schemas/MeetingRequest/properties/notes/maxLength", dissent.MaxReply},
		{"#/components/schemas/ReasonRequest/properties/reason/maxLength", dissent.MaxReason},
		{"#/components/schemas/ExtendRequest/properties/reason/maxLength", dissent.MaxReason},
		{"#/components/schemas/RedirectRequest/properties/reason/maxLength", dissent.MaxReason},
		{"#/components/schemas/RedirectRequest/properties/channel/maxLength", dissent.MaxChannel},
		{"#/components/schemas/EmailRequest/properties/email/maxLength", dissent.MaxEmail},
		{"#/components/schemas/InvitationRequest/properties/emails/maxItems", dissent.MaxInvitations},
		{"#/components/schemas/InvitationRequest/properties/emails/minItems", 1},
		{"#/components/schemas/SignRequest/properties/min_cosigners/minimum", 0},
		{"#/components/schemas/SignRequest/properties/min_cosigners/maximum", dissent.MaxSigners - 1},
		{"#/components/schemas/ExtendRequest/properties/working_days/minimum", dissent.DefaultReplyDay + 1},
		{"#/components/schemas/ExtendRequest/properties/working_days/maximum", dissent.MaxReplyDays},
		{"#/components/schemas/Message/properties/reply_working_days/minimum", dissent.DefaultReplyDay},
		{"#/components/schemas/Message/properties/reply_working_days/maximum", dissent.MaxReplyDays},
	}
	for _, tt := range tests {
		got, ok := pointer(doc, tt.ref).(float64)
		if !ok {
			t.Errorf("%s is missing from openapi.json; want %d", tt.ref, tt.want)
			continue
		}
		if int(got) != tt.want {
			t.Errorf("%s = %v; want %d", tt.ref, got, tt.want)
		}
	}

	patterns := []struct{ ref, want string }{
		{"#/components/schemas/ContentHash/pattern", "^[0-9a-f]{64}$"},
		{"#/components/schemas/MessageID/pattern", "^[0-9a-f]{32}$"},
	}
	for _, tt := range patterns {
		if got := pointer(doc, tt.ref); got != tt.want {
			t.Errorf("%s = %v; want %q", tt.ref, got, tt.want)
		}
	}
	// The documented body limit is the decoder's.
	if d, _ := pointer(doc, "#/components/responses/TooLarge/description").(string); !strings.Contains(d, "4194304") || maxBody != 4194304 {
		t.Errorf("components.responses.TooLarge does not state the body limit %d: %q", maxBody, d)
	}
}

func TestOpenAPIServed(t *testing.T) {
	onDisk, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	testServer().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d; want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	if !bytes.Equal(rec.Body.Bytes(), onDisk) {
		t.Errorf("GET /api/v1/openapi.json served %d bytes that differ from openapi.json (%d bytes)", rec.Body.Len(), len(onDisk))
	}
}
