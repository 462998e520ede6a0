package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeMetrics runs serve with a short sweep interval: /metrics shows
// requests by route pattern and the sweeps run, labelled by nothing that
// names a path's values; a bad SMTP URL stops serve with an error that does
// not repeat its password.
func TestServeMetrics(t *testing.T) {
	data := initData(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := ln.Addr().String()
	ln.Close()
	srv := startServe(t, nil, "--data", data, "--sweep-interval", "20ms", "--metrics-addr", maddr)
	if code, _, _ := srv.get("/metrics"); code != 404 {
		t.Errorf("/metrics on the service's address without a token: %d; want 404", code)
	}
	get := func(path string) (int, string) {
		if path == "/metrics" {
			resp, err := http.Get("http://" + maddr + path)
			if err != nil {
				return 0, err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, _, body := srv.get(path)
		return code, body
	}
	get("/api/v1/messages/0123456789abcdef0123456789abcdef") // 401: no token
	swept := regexp.MustCompile(`dissent_sweeps_total\{outcome="ok"\} [1-9]`)
	var body string
	for i := 0; i < 100; i++ {
		var code int
		code, body = get("/metrics")
		if code == 200 && swept.MatchString(body) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		`dissent_http_requests_total{code="200",route="GET /readyz"}`,
		`dissent_http_requests_total{code="401",route="GET /api/v1/messages/{id}"} 1`,
		`dissent_http_request_duration_seconds_bucket{route="GET /readyz",le=`,
		`dissent_mails_total{outcome="failed"} 0`,
		`dissent_reminders_sent_total{what="reminder"} 0`,
		`dissent_log_integration_seconds_bucket{batch="entries",le=`,
		`dissent_log_integration_seconds_count{batch="empty"}`,
		`dissent_log_integrated_entries `,
		`dissent_message_lock_seconds_count `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !swept.MatchString(body) {
		t.Errorf("/metrics shows no sweep:\n%s", body)
	}
	if strings.Contains(body, "0123456789abcdef") {
		t.Error("/metrics holds a message id")
	}
	srv.stop(t)
	if !strings.Contains(srv.stderr.String(), "no SMTP server configured") {
		t.Errorf("no warning about the missing SMTP server in the log")
	}

	err = run(context.Background(), []string{"serve", "--data", data, "--addr", "127.0.0.1:0", "--smtp", "smtp://u:hunter2@mail.example:99999"},
		strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "port") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("serve with a bad SMTP URL: %v; want an error about the port, without the password", err)
	}
}
