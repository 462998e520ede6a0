package main

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dissent-channel/dissent"
)

// metrics are the instance's Prometheus metrics. No metric is labelled by
// person, message or path: requests carry the route pattern and status
// only, and background work only what kind of thing it did.
type metrics struct {
	reg         *prometheus.Registry
	handler     http.Handler
	requests    *prometheus.CounterVec
	durations   *prometheus.HistogramVec
	sweeps      *prometheus.CounterVec
	told        *prometheus.CounterVec
	notes       prometheus.Counter
	mails       *prometheus.CounterVec
	logMismatch prometheus.Counter
	integrate   *prometheus.HistogramVec
	logSize     prometheus.Gauge
	msgLock     prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dissent_http_requests_total",
		Help: "HTTP requests by route pattern and status code."}, []string{"route", "code"})
	m.durations = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dissent_http_request_duration_seconds",
		Help: "HTTP request durations by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.sweeps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dissent_sweeps_total",
		Help: "Deadline sweeps this instance ran (it held the sweeper lease), by outcome."}, []string{"outcome"})
	m.told = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dissent_reminders_sent_total",
		Help: "Reminders, escalations, met quorums and expired consultations told by this instance's sweeps, by what."}, []string{"what"})
	m.notes = prometheus.NewCounter(prometheus.CounterOpts{Name: "dissent_sweep_notifications_total",
		Help: "Notifications stored by this instance's sweeps."})
	m.mails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dissent_mails_total",
		Help: "E-mails this instance sent or failed to send, by outcome."}, []string{"outcome"})
	m.logMismatch = prometheus.NewCounter(prometheus.CounterOpts{Name: "dissent_log_selfcheck_failures_total",
		Help: "Background checks of new audit-log entries that found the database differing from the log (alert on any)."})
	// Integration is the log's one global critical section on PostgreSQL
	// (one instance at a time, under an advisory lock held to the commit):
	// its duration bounds the deployment's append rate (docs/BENCHMARKS.md).
	m.integrate = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dissent_log_integration_seconds",
		Help: "PostgreSQL: how long this instance held the audit log's integration lock per integration, from the lock's grant " +
			"to the commit, by whether the log grew past the size this instance saw last (entries) or not (empty).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2}}, []string{"batch"})
	m.logSize = prometheus.NewGauge(prometheus.GaugeOpts{Name: "dissent_log_integrated_entries",
		Help: "Entries in the audit log's tree after this instance's last integration."})
	m.msgLock = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "dissent_message_lock_seconds",
		Help:    "PostgreSQL: how long this instance's transactions held a message's row lock, from its grant to the commit (acts on one message run one at a time).",
		Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2}})
	m.reg.MustRegister(m.requests, m.durations, m.sweeps, m.told, m.notes, m.mails, m.logMismatch, m.integrate, m.logSize, m.msgLock,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero series exist from the start, so that rates and alerts see them.
	for _, o := range []string{"ok", "error"} {
		m.sweeps.WithLabelValues(o)
	}
	for _, w := range []string{"reminder", "quorum", "consultation_expired"} {
		m.told.WithLabelValues(w)
	}
	for _, o := range []string{"sent", "failed"} {
		m.mails.WithLabelValues(o)
	}
	for _, b := range []string{"entries", "empty"} {
		m.integrate.WithLabelValues(b)
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// ObserveRequest implements web.Metrics.
func (m *metrics) ObserveRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(route).Observe(d.Seconds())
}

// observeIntegration is the store's integration observer (PostgreSQL):
// how long each integration held the lock, labelled by whether the log grew
// past the size this instance saw last.
func (m *metrics) observeIntegration() func(held time.Duration, size int64) {
	var mu sync.Mutex
	var last int64
	return func(held time.Duration, size int64) {
		mu.Lock()
		batch := "empty"
		if size > last {
			batch, last = "entries", size
		}
		mu.Unlock()
		m.integrate.WithLabelValues(batch).Observe(held.Seconds())
		m.logSize.Set(float64(size))
	}
}

// observeMessageLock is the store's message-lock observer (PostgreSQL).
func (m *metrics) observeMessageLock(held time.Duration) { m.msgLock.Observe(held.Seconds()) }

// observeSweep is the sweeper's Observe.
func (m *metrics) observeSweep(r dissent.SweepResult, err error) {
	if err != nil {
		m.sweeps.WithLabelValues("error").Inc()
	} else {
		m.sweeps.WithLabelValues("ok").Inc()
	}
	m.told.WithLabelValues("reminder").Add(float64(r.Reminders))
	m.told.WithLabelValues("quorum").Add(float64(r.Quorums))
	m.told.WithLabelValues("consultation_expired").Add(float64(r.Expired))
	m.notes.Add(float64(r.Notifications))
}

// observeMail is the mail sender's Observe.
func (m *metrics) observeMail(sent, failed int) {
	m.mails.WithLabelValues("sent").Add(float64(sent))
	m.mails.WithLabelValues("failed").Add(float64(failed))
}
