package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dissent-channel/dissent"
)

// TestStatusFor: the one mapping from the domain's errors to HTTP statuses,
// written out by hand, so that a change to statusOf fails here.
func TestStatusFor(t *testing.T) {
	t.Parallel()
	kind := func(k dissent.Kind) error { return &dissent.Error{Kind: k, Code: "x", Message: "x"} }
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"invalid", kind(dissent.KindInvalid), http.StatusBadRequest},
		{"unprocessable", kind(dissent.KindUnprocessable), http.StatusUnprocessableEntity},
		{"not found", kind(dissent.KindNotFound), http.StatusNotFound},
		{"conflict", kind(dissent.KindConflict), http.StatusConflict},
		{"unauthenticated", kind(dissent.KindUnauthenticated), http.StatusUnauthorized},
		{"forbidden", kind(dissent.KindForbidden), http.StatusForbidden},
		{"too large", kind(dissent.KindTooLarge), http.StatusRequestEntityTooLarge},
		{"rate limited", kind(dissent.KindRateLimited), http.StatusTooManyRequests},
		{"unavailable", kind(dissent.KindUnavailable), http.StatusServiceUnavailable},
		{"internal", kind(dissent.KindInternal), http.StatusInternalServerError},
		{"wrapped", fmt.Errorf("context: %w", dissent.ErrNotFound("message")), http.StatusNotFound},
		{"not a domain error", errors.New("disk on fire"), http.StatusInternalServerError},
		{"a kind the table lacks", kind(dissent.Kind(99)), http.StatusInternalServerError},
		{"the store's duplicate sentinel, unworded", dissent.ErrDuplicate, http.StatusInternalServerError},
	} {
		if got := statusFor(tt.err); got != tt.want {
			t.Errorf("%s: statusFor(%v) = %d; want %d", tt.name, tt.err, got, tt.want)
		}
	}
	// Every kind the domain defines has its own row.
	for k := dissent.Kind(0); !strings.HasPrefix(k.String(), "Kind("); k++ {
		if _, ok := statusOf[k]; !ok {
			t.Errorf("kind %s has no status", k)
		}
	}
}
