package web

// adminRoutes lists the administrator's and the auditor's pages, and the
// demo's pages when Options.Demo is set.
func (s *Server) adminRoutes() {
	if s.demo {
		s.demoRoutes()
	}
}
