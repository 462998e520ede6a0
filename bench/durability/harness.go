package main

// This file is kept in step with bench/cosign/harness.go: both harnesses
// build the dissent binary, set up a deployment through its CLI and drive
// `dissent serve` as a separate process over HTTP. A bench program is a
// package main of its own, so the helpers are copied rather than shared;
// this copy leaves out the CPU and latency helpers only cosign uses.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// moduleRoot is the directory of the go.mod that the current directory
// belongs to: the harness builds ./cmd/dissent from there.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the dissent module (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

// buildDissent builds ./cmd/dissent into dir and returns the binary's path.
func buildDissent(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "dissent")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dissent")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/dissent: %w\n%s", err, out)
	}
	return bin, nil
}

// cli runs one dissent subcommand to completion.
func cli(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dissent %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// person is one row of the import file.
type person struct {
	email, name string
	roles       string
}

// setUp makes a deployment in data with one organization and the people
// given, and returns their bearer tokens by e-mail.
func setUp(ctx context.Context, bin, dir, data string, people []person) (map[string]string, error) {
	if _, err := cli(ctx, bin, "init", "--data", data); err != nil {
		return nil, err
	}
	if _, err := cli(ctx, bin, "org", "add", "--data", data, "--id", "bench", "--name", "Bench Agency"); err != nil {
		return nil, err
	}
	csvPath := filepath.Join(dir, "people.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return nil, fmt.Errorf("create people file: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"email", "name", "org", "unit", "supervisor", "roles"})
	for _, p := range people {
		_ = w.Write([]string{p.email, p.name, "bench", "", "", p.roles})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return nil, fmt.Errorf("write people file: %w", err)
	}
	tokPath := filepath.Join(dir, "tokens.csv")
	if _, err := cli(ctx, bin, "user", "import", "--data", data, csvPath, "--tokens-out", tokPath); err != nil {
		return nil, err
	}
	tf, err := os.Open(tokPath)
	if err != nil {
		return nil, fmt.Errorf("open tokens file: %w", err)
	}
	defer tf.Close()
	rows, err := csv.NewReader(tf).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	tokens := make(map[string]string, len(rows))
	for _, r := range rows {
		if len(r) >= 2 && strings.Contains(r[0], "@") {
			tokens[r[0]] = r[1]
		}
	}
	for _, p := range people {
		if tokens[p.email] == "" {
			return nil, fmt.Errorf("user import wrote no token for %s", p.email)
		}
	}
	return tokens, nil
}

// server is one `dissent serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{} // closed once the process has been reaped
	log    string        // its stderr (JSON request log)
}

// startServer starts `dissent serve` on a free loopback port and waits until
// /healthz answers. n numbers the log files of successive starts.
func startServer(ctx context.Context, bin, data, logDir string, n int) (*server, error) {
	outPath := filepath.Join(logDir, fmt.Sprintf("serve-%d.out", n))
	errPath := filepath.Join(logDir, fmt.Sprintf("serve-%d.log", n))
	out, err := os.Create(outPath)
	if err != nil {
		return nil, fmt.Errorf("create server output: %w", err)
	}
	defer out.Close()
	errf, err := os.Create(errPath)
	if err != nil {
		return nil, fmt.Errorf("create server log: %w", err)
	}
	defer errf.Close()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dissent serve: %w", err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{}), log: errPath}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for s.url == "" {
		b, _ := os.ReadFile(outPath)
		if _, rest, ok := strings.Cut(string(b), "(listening on "); ok {
			if addr, _, ok := strings.Cut(rest, ")"); ok {
				s.url = "http://" + addr
				break
			}
		}
		if err := s.waitStep(ctx, deadline); err != nil {
			return nil, err
		}
	}
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if err := s.waitStep(ctx, deadline); err != nil {
			return nil, err
		}
	}
}

func (s *server) waitStep(ctx context.Context, deadline time.Time) error {
	select {
	case <-s.exited:
		tail, _ := os.ReadFile(s.log)
		return fmt.Errorf("dissent serve exited during start-up: %s; log: %s", s.cmd.ProcessState, lastLines(tail, 5))
	case <-ctx.Done():
		s.kill()
		return ctx.Err()
	case <-time.After(10 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		s.kill()
		return errors.New("dissent serve did not become healthy within 20 s")
	}
	return nil
}

// kill sends SIGKILL and reaps the process.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// stop asks the server to shut down (SIGTERM) and kills it after 15 s.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.kill()
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// newClient returns an HTTP client that keeps up to conns connections open
// to one host and never goes through a proxy.
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 60 * time.Second,
	}
}

// apiError is a non-2xx answer of the API.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.status, e.body) }

// call sends one API request with a JSON body (unless body is nil) and
// decodes a 2xx answer into out (unless out is nil). It returns the status,
// or 0 with the transport error.
func call(ctx context.Context, c *http.Client, method, url, token string, body []byte, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, &apiError{resp.StatusCode, strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode answer of %s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// message is the part of a message's JSON the harnesses read.
type message struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	ContentHash    string `json:"content_hash"`
	SignatureCount int    `json:"signature_count"`
}

// signatures is the answer of GET /api/v1/messages/{id}/signatures.
type signatures struct {
	Signatures []struct {
		Email string `json:"email"`
	} `json:"signatures"`
}

// createMessage drafts a message and invites the co-signers (in requests of
// at most 5,000 addresses).
func createMessage(ctx context.Context, c *http.Client, url, token, title string, invite []string) (message, error) {
	var m message
	body := mustJSON(map[string]string{"title": title, "summary": "A load test.", "body": "We urge a change of course."})
	if _, err := call(ctx, c, "POST", url+"/api/v1/messages", token, body, &m); err != nil {
		return m, fmt.Errorf("create message: %w", err)
	}
	for start := 0; start < len(invite); start += 5000 {
		chunk := invite[start:min(start+5000, len(invite))]
		if _, err := call(ctx, c, "POST", url+"/api/v1/messages/"+m.ID+"/invitations", token, mustJSON(map[string][]string{"emails": chunk}), nil); err != nil {
			return m, fmt.Errorf("invite co-signers: %w", err)
		}
	}
	return m, nil
}

// machine describes where the benchmark ran.
func machine(dir string) string {
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s %s/%s, temp dir %s", runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, dir)
}

// loadAverage is the 1, 5 and 15 minute load averages (Linux), to tell
// whether other work shared the machine during a run.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
