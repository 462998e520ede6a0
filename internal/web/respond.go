package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dissent-channel/dissent"
)

// statusOf is the one table from error kinds to HTTP statuses; statusFor
// is the one function that reads it, for the API's errors (writeError) and
// the pages' (fail) alike. Handlers choose which page to show for a kind
// (the not-found page, the refusal page, the form again), never a status.
var statusOf = map[dissent.Kind]int{
	dissent.KindInvalid:         http.StatusBadRequest,
	dissent.KindUnprocessable:   http.StatusUnprocessableEntity,
	dissent.KindNotFound:        http.StatusNotFound,
	dissent.KindConflict:        http.StatusConflict,
	dissent.KindUnauthenticated: http.StatusUnauthorized,
	dissent.KindForbidden:       http.StatusForbidden,
	dissent.KindTooLarge:        http.StatusRequestEntityTooLarge,
	dissent.KindRateLimited:     http.StatusTooManyRequests,
	dissent.KindUnavailable:     http.StatusServiceUnavailable,
	dissent.KindInternal:        http.StatusInternalServerError,
}

// statusFor is the HTTP status of err: its kind's, or 500 for an error
// that is no *dissent.Error or whose kind the table lacks.
func statusFor(err error) int {
	if st, ok := statusOf[dissent.ErrorKind(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	Limit     int    `json:"limit,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError answers with the error format of SPEC §7. Internal errors are
// logged with the request id and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := dissent.AsError(err)
	status := statusFor(e)
	rid := requestID(r.Context())
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", rid, "method", r.Method, "route", r.Pattern, "err", err)
		e = &dissent.Error{Kind: e.Kind, Code: e.Code, Message: e.Message}
		if e.Kind == dissent.KindInternal {
			e.Code, e.Message = "internal", "internal error; quote request id "+rid+" to your administrator"
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="dissent"`)
	}
	writeJSON(w, status, errorBody{errorDetail{Code: e.Code, Message: e.Message, Field: e.Field, Limit: e.Limit, RequestID: rid}})
}

// writeJSON renders into a buffer first, so that a failure to encode never
// leaves a half-written response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		slog.Error("encode response", "err", err)
		http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// maxBody bounds every request body: a 100,000-character body may take
// 600,000 bytes of JSON escapes, and 10,000 invited addresses 2.6 MB.
const maxBody = 4 << 20

// decode reads one JSON object into v: the body must be valid UTF-8, within
// maxBody, a single object, with no unknown fields, no member named twice
// and no lone surrogate (checkJSON).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "required", Field: "body", Message: "a JSON object is required"}
	}
	return decodeBytes(body, v)
}

// decodeOptional accepts an empty body, however it is framed, as the zero
// value.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return decodeBytes(body, v)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := strings.Cut(ct, ";")
		if strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
			return nil, &dissent.Error{Kind: dissent.KindInvalid, Code: "unsupported_media_type", Field: "Content-Type", Message: "the request body must be application/json"}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &dissent.Error{Kind: dissent.KindTooLarge, Code: "too_large", Field: "body", Limit: maxBody,
				Message: "the request body must be at most " + strconv.Itoa(maxBody) + " bytes"}
		}
		return nil, &dissent.Error{Kind: dissent.KindInvalid, Code: "unreadable", Field: "body", Message: "could not read the request body"}
	}
	return body, nil
}

func decodeBytes(body []byte, v any) error {
	if !utf8.Valid(body) {
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "invalid_utf8", Field: "body", Message: "the request body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_json", Field: "body", Message: "the request body must hold exactly one JSON object"}
	}
	return checkJSON(body)
}

// jsonKind names a Go kind the way JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a value of another type"
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_json", Field: "body", Message: "malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "wrong_type", Field: field, Message: field + " must be " + jsonKind(typ.Type.Kind())}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "unknown_field", Field: f, Message: "unknown field " + strconv.Quote(f)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_json", Field: "body", Message: "the JSON object is cut short"}
	}
	return &dissent.Error{Kind: dissent.KindInvalid, Code: "malformed_json", Field: "body", Message: "the request body is not a JSON object"}
}
