package web

// WaitLinkMails waits until the "E-mail me a sign-in link" requests handed
// to the background are done (tests only).
func (s *Server) WaitLinkMails() { s.Drain() }
