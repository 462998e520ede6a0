package web

import "net/http"

// routes is the table of contents of the server's routes. The health, log,
// sign-in link and message API routes are listed here; every other group is
// registered by the function called below, in the file its comment names,
// beside its handlers. Server.Routes returns every pattern registered, for
// the tests that walk them all (auth_test.go, openapi_test.go).
func (s *Server) routes() {
	m := s
	m.handle("GET /healthz", s.handleHealth)
	m.handle("GET /readyz", s.handleReady)
	m.handle("GET /api/v1/openapi.json", s.handleOpenAPI)
	m.handle("GET /log/checkpoint", s.handleLogCheckpoint)
	m.handle("OPTIONS /log/checkpoint", s.handleLogPreflight)
	m.handle("GET /log/tile/{level}/{index...}", s.handleLogTile)
	m.handle("OPTIONS /log/tile/{level}/{index...}", s.handleLogPreflight)

	m.handle("POST /api/v1/signin/link", s.handleSignInLinkToken)
	m.handle("GET /signin/link/{secret}", s.handleSignInLinkPage)
	m.handle("POST /signin/link", s.handleSignInLinkSession)
	m.handle("GET /api/v1/me", s.authed(s.handleMe))

	m.handle("POST /api/v1/messages", s.authed(s.handleMessageCreate))
	m.handle("GET /api/v1/messages", s.authed(s.handleMessageList))
	m.handle("GET /api/v1/messages/{id}", s.authed(s.handleMessageShow))
	m.handle("PUT /api/v1/messages/{id}", s.authed(s.handleMessageEdit))
	m.handle("GET /api/v1/messages/{id}/versions", s.authed(s.handleVersionList))
	m.handle("POST /api/v1/messages/{id}/coauthors", s.authed(s.handleCoauthorAdd))
	m.handle("POST /api/v1/messages/{id}/invitations", s.authed(s.handleInvitationCreate))
	m.handle("POST /api/v1/messages/{id}/signatures", s.authed(s.handleSignatureCreate))
	m.handle("GET /api/v1/messages/{id}/signatures", s.authed(s.handleSignatureList))
	m.handle("DELETE /api/v1/messages/{id}/signatures/me", s.authed(s.handleSignatureWithdraw))
	m.handle("POST /api/v1/messages/{id}/submit", s.authed(s.handleMessageSubmit))
	m.handle("POST /api/v1/messages/{id}/withdraw", s.authed(s.handleMessageWithdraw))
	m.handle("POST /api/v1/messages/{id}/endorsers", s.authed(s.handleEndorserAdd))
	m.handle("POST /api/v1/messages/{id}/endorsement", s.authed(s.handleEndorse))

	m.handle("POST /api/v1/messages/{id}/acknowledge", s.authed(s.handleMessageAcknowledge))
	m.handle("POST /api/v1/messages/{id}/assignments", s.authed(s.handleAssign))
	m.handle("POST /api/v1/messages/{id}/consultations", s.authed(s.handleConsult))
	m.handle("POST /api/v1/messages/{id}/input", s.authed(s.handleInput))
	m.handle("POST /api/v1/messages/{id}/replies", s.authed(s.handleReplyCreate))
	m.handle("POST /api/v1/messages/{id}/replies/{reply}/approve", s.authed(s.handleReplyApprove))
	m.handle("POST /api/v1/messages/{id}/extend", s.authed(s.handleMessageExtend))
	m.handle("POST /api/v1/messages/{id}/redirect", s.authed(s.handleMessageRedirect))
	m.handle("POST /api/v1/messages/{id}/distribution", s.authed(s.handleDistribute))
	m.handle("POST /api/v1/messages/{id}/meetings", s.authed(s.handleMeetingRecord))
	m.handle("POST /api/v1/messages/{id}/meeting-requests", s.authed(s.handleMeetingRequest))
	m.handle("POST /api/v1/messages/{id}/close", s.authed(s.handleMessageClose))
	m.handle("POST /api/v1/messages/{id}/reopen", s.authed(s.handleMessageReopen))
	m.handle("POST /api/v1/messages/{id}/break-glass", s.authed(s.handleBreakGlass))
	m.handle("GET /api/v1/messages/{id}/access-log", s.authed(s.handleAccessLog))
	m.handle("GET /api/v1/messages/{id}/receipt", s.authed(s.handleReceipt))
	m.handle("POST /api/v1/messages/{id}/attachments", s.authed(s.handleAttachmentCreate))
	m.handle("GET /api/v1/messages/{id}/attachments/{aid}", s.authed(s.handleAttachmentShow))
	m.handle("DELETE /api/v1/messages/{id}/attachments/{aid}", s.authed(s.handleAttachmentDelete))
	m.handle("GET /api/v1/vocabulary", s.authed(s.handleVocabulary))

	s.authRoutes()        // sign-in, sessions, tokens: page_signin.go, api_signin.go
	s.officePageRoutes()  // inbox, principals' and reviewers' lists: page_office.go; dashboards: stats.go
	s.opsRoutes()         // notifications, preferences and GET /metrics: page_notify.go, metrics.go
	s.adminRoutes()       // administration, audit, and the demo's sign-ins: page_people.go, page_directory.go, page_log.go
	s.exposureRoutes()    // articles, findings, feeds: exposure.go
	s.participantRoutes() // invitees and reminders (api_author.go), notifications (api_notify.go) in the API
	s.reportRoutes()      // the public report, statistics and findings as JSON: report.go
	s.tierRoutes()        // the tiers' default distribution lists: vocabulary.go

	// Web pages (templates/*.html). Each page handler is wrapped in s.page,
	// which sends a visitor without a session to /signin.
	m.handle("GET /{$}", s.page(s.handleHome))
	s.messagePageRoutes() // my messages, editor, signing, invite links: page_author.go; case page, receipts: page_read.go

	m.handle("/api/", s.handleAPINotFound)
	m.handle("/", s.handlePageNotFound)
}

// Routes returns every registered pattern, for tests that walk them all.
func (s *Server) Routes() []string { return s.patterns }

// handle registers a route and records its pattern.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
	s.patterns = append(s.patterns, pattern)
}
