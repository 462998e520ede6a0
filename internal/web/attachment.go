package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/dissent-channel/dissent"
)

// attachmentUpload reports whether a request uploads an attachment, whose
// body may be larger than maxBody.
func attachmentUpload(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/attachments") &&
		(strings.HasPrefix(r.URL.Path, "/api/v1/messages/") || strings.HasPrefix(r.URL.Path, "/messages/"))
}

// bodyLimit is the cap on a request's body.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if attachmentUpload(r) && s.svc != nil {
		n, _ := s.svc.AttachmentLimits()
		return n + multipartSlack
	}
	return maxBody
}

// readUpload reads the multipart field "file" into memory, never to a
// temporary file (which would hold the annex in clear on disk). Over the
// limit, the Service's too_large error names it and nothing is stored.
func (s *Server) readUpload(r *http.Request) (name string, data []byte, err error) {
	limit, _ := s.svc.AttachmentLimits()
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, &dissent.Error{Kind: dissent.KindInvalid, Code: "bad_form", Field: "file",
			Message: "the request must be multipart/form-data with the file in the field file"}
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return "", nil, &dissent.Error{Kind: dissent.KindInvalid, Code: "required", Field: "file", Message: "file is required"}
		}
		if err != nil {
			return "", nil, uploadError(s, err)
		}
		if p.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return "", nil, uploadError(s, err)
		}
		if int64(len(data)) > limit {
			return "", nil, s.svc.ErrAttachmentTooLarge()
		}
		return p.FileName(), data, nil
	}
}

func uploadError(s *Server, err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.svc.ErrAttachmentTooLarge()
	}
	return &dissent.Error{Kind: dissent.KindInvalid, Code: "bad_form", Field: "file", Message: "the upload could not be read"}
}

func attachmentID(r *http.Request) (string, error) {
	id, err := dissent.ParseMessageID(r.PathValue("aid")) // the same form: 32 hex digits
	if err != nil {
		return "", &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_id", Field: "aid", Message: "attachment id must be 32 hexadecimal digits"}
	}
	return string(id), nil
}

func (s *Server) handleAttachmentCreate(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name, data, err := s.readUpload(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	att, err := s.svc.AddAttachment(r.Context(), a, id, name, data)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+string(id)+"/attachments/"+att.ID)
	writeJSON(w, http.StatusCreated, attachmentJSON{ID: att.ID, Name: att.Name.Reveal(), Size: att.Size, SHA256: att.SHA256})
}

// multipartSlack is what a multipart body may hold besides the file: the
// boundaries, the part headers and small form fields.
const multipartSlack = 64 << 10

func safeType(name string) string {
	if t, ok := safeTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// safeTypes are the content types an attachment is served with, by
// extension; anything else is application/octet-stream. None is rendered:
// every answer is Content-Disposition: attachment with nosniff and the
// CSP's sandbox.
var safeTypes = map[string]string{
	".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// serveAttachment writes an attachment's bytes as a download.
func serveAttachment(w http.ResponseWriter, att dissent.Attachment, data []byte) {
	name := att.Name.Reveal()
	h := w.Header()
	h.Set("Content-Type", safeType(name))
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	h.Set("Content-Disposition", disp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (s *Server) handleAttachmentShow(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	aid, err := attachmentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	att, data, err := s.svc.GetAttachment(r.Context(), a, id, aid)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	serveAttachment(w, att, data)
}

func (s *Server) handleAttachmentDelete(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, err := messageID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	aid, err := attachmentID(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.svc.RemoveAttachment(r.Context(), a, id, aid); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) attachmentPageRoutes() {
	s.handle("POST /messages/{id}/attachments", s.page(s.handleAttachmentUploadPage))
	s.handle("POST /messages/{id}/attachments/{aid}/remove", s.page(s.caseAct("detach", "detached", func(r *http.Request, a dissent.Actor, id dissent.MessageID) error {
		aid, err := attachmentID(r)
		if err != nil {
			return dissent.ErrNotFound("attachment")
		}
		_, err = s.svc.RemoveAttachment(r.Context(), a, id, aid)
		return err
	})))
	s.handle("GET /messages/{id}/attachments/{aid}", s.page(s.handleAttachmentDownloadPage))
}

func (s *Server) handleAttachmentUploadPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	name, data, err := s.readUpload(r)
	if err == nil {
		_, err = s.svc.AddAttachment(r.Context(), a, id, name, data)
	}
	if err == nil {
		done(w, r, "/messages/"+string(id)+"/edit", "attached")
		return
	}
	if dissent.ErrorKind(err) == dissent.KindNotFound {
		s.showMsgError(w, r, &a, err)
		return
	}
	// The editor again, with the error beside the file field.
	v, gerr := s.svc.GetMessage(r.Context(), a, id)
	if gerr != nil {
		s.showMsgError(w, r, &a, gerr)
		return
	}
	p := s.newPage(r, &a, "File not attached")
	status := s.fail(r, p, err)
	if p.Errors == nil || p.Errors["file"] == "" {
		p.Errors = map[string]string{"file": s.safeMessage(r, err)}
	}
	p.Form = url.Values{"title": {v.Title.Reveal()}, "summary": {v.Summary.Reveal()}, "body": {v.Body.Reveal()},
		"classification": {v.Classification}, "topic": {v.Topic}, "tier": {v.Tier}, "related": {joinIDs(v.Related)}}
	e := newEditor(id)
	e.Version, e.Next, e.Signers, e.State, e.Autosave = v.Version, v.Version+1, v.SignatureCount, v.State, v.State == dissent.StateDraft
	e.Classification, e.Attachments = v.Classification, v.Attachments
	s.showEditor(w, r, &a, status, p, e)
}

func (s *Server) handleAttachmentDownloadPage(w http.ResponseWriter, r *http.Request, a dissent.Actor) {
	id, ok := s.pageMessageID(w, r, a)
	if !ok {
		return
	}
	aid, err := attachmentID(r)
	if err != nil {
		s.showMsgError(w, r, &a, dissent.ErrNotFound("attachment"))
		return
	}
	att, data, err := s.svc.GetAttachment(r.Context(), a, id, aid)
	if err != nil {
		s.showMsgError(w, r, &a, err)
		return
	}
	serveAttachment(w, att, data)
}
