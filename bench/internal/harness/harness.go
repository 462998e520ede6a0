// Package harness holds what the bench/ harnesses share: building dissent,
// setting up a deployment through its CLI, running and killing dissent
// serve, and calling its API.
package harness

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
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Main runs a harness's run function with os.Args[1:] and os.Stdout, under
// a context that ends on SIGINT or SIGTERM. If run fails, Main prints
// "name: error: …" to stderr and exits with status 1.
func Main(name string, run func(ctx context.Context, args []string, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v\n", name, err)
		os.Exit(1)
	}
}

// ModuleRoot is the directory of the go.mod that the current directory
// belongs to: the harnesses build ./cmd/dissent from there.
func ModuleRoot(ctx context.Context) (string, error) {
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

// BuildDissent builds ./cmd/dissent into dir and returns the binary's path.
func BuildDissent(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
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

// CLI runs one dissent subcommand to completion and returns its combined
// output.
func CLI(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dissent %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Person is one row of the import file.
type Person struct {
	Email, Name string
	Roles       string
}

// SetUp makes a deployment in data with one organization and the people
// given, and returns their bearer tokens by e-mail. It writes its import
// and token files in dir.
func SetUp(ctx context.Context, bin, dir, data string, people []Person) (map[string]string, error) {
	return SetUpOn(ctx, bin, dir, data, "", people)
}

// SetUpOn is SetUp with the database at db (--db; "" for the SQLite file
// in data).
func SetUpOn(ctx context.Context, bin, dir, data, db string, people []Person) (map[string]string, error) {
	store := []string{"--data", data}
	if db != "" {
		store = append(store, "--db", db)
	}
	if _, err := CLI(ctx, bin, append([]string{"init"}, store...)...); err != nil {
		return nil, err
	}
	if _, err := CLI(ctx, bin, append([]string{"org", "add", "--id", "bench", "--name", "Bench Agency"}, store...)...); err != nil {
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
		_ = w.Write([]string{p.Email, p.Name, "bench", "", "", p.Roles})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return nil, fmt.Errorf("write people file: %w", err)
	}
	tokPath := filepath.Join(dir, "tokens.csv")
	if _, err := CLI(ctx, bin, append([]string{"user", "import", csvPath, "--tokens-out", tokPath}, store...)...); err != nil {
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
		if tokens[p.Email] == "" {
			return nil, fmt.Errorf("user import wrote no token for %s", p.Email)
		}
	}
	return tokens, nil
}

// Server is one `dissent serve` process.
type Server struct {
	URL string // base URL, http://127.0.0.1:port

	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has been reaped
	log    string        // its stderr (JSON request log)
}

// StartServer starts `dissent serve` on a free loopback port and waits until
// /healthz answers. Its output and log go to files in logDir; n numbers the
// files of successive starts.
func StartServer(ctx context.Context, bin, data, logDir string, n int) (*Server, error) {
	return StartServerOn(ctx, bin, data, "", logDir, n)
}

// StartServerOn is StartServer with the database at db (--db; "" for the
// SQLite file in data).
func StartServerOn(ctx context.Context, bin, data, db, logDir string, n int) (*Server, error) {
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
	args := []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}
	if db != "" {
		args = append(args, "--db", db)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dissent serve: %w", err)
	}
	s := &Server{cmd: cmd, exited: make(chan struct{}), log: errPath}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for s.URL == "" {
		b, _ := os.ReadFile(outPath)
		if _, rest, ok := strings.Cut(string(b), "(listening on "); ok {
			if addr, _, ok := strings.Cut(rest, ")"); ok {
				s.URL = "http://" + addr
				break
			}
		}
		if err := s.waitStep(ctx, deadline); err != nil {
			return nil, err
		}
	}
	for {
		resp, err := http.Get(s.URL + "/healthz")
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

// waitStep waits a moment during start-up; it fails if the server has
// exited, ctx is done or deadline has passed (killing the server in the
// last two cases).
func (s *Server) waitStep(ctx context.Context, deadline time.Time) error {
	select {
	case <-s.exited:
		tail, _ := os.ReadFile(s.log)
		return fmt.Errorf("dissent serve exited during start-up: %s; log: %s", s.cmd.ProcessState, lastLines(tail, 5))
	case <-ctx.Done():
		s.Kill()
		return ctx.Err()
	case <-time.After(10 * time.Millisecond):
	}
	if time.Now().After(deadline) {
		s.Kill()
		return errors.New("dissent serve did not become healthy within 20 s")
	}
	return nil
}

// Kill sends SIGKILL and reaps the process.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// Stop asks the server to shut down (SIGTERM) and kills it after 15 s.
func (s *Server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.Kill()
	}
}

// CPUSeconds is the user+system CPU time the server has used so far, from
// /proc (Linux); 0 where that is unavailable.
func (s *Server) CPUSeconds() float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100 // USER_HZ is 100 on every Linux this runs on
}

// SelfCPU is the CPU time this process has used, user and system, on every
// thread: the garbage collector's work counts too. On a shared machine it
// measures the cost per core where wall time measures the contention. It is
// 0 where getrusage fails.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// SelfCPUSeconds is SelfCPU in seconds.
func SelfCPUSeconds() float64 { return SelfCPU().Seconds() }

// lastLines is the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// NewClient returns an HTTP client that keeps up to conns connections open
// to one host and never goes through a proxy.
func NewClient(conns int) *http.Client {
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

// APIError is a non-2xx answer of the API.
type APIError struct {
	Status int
	Body   string
}

func (e *APIError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// Call sends one API request with a JSON body (unless body is nil) and
// decodes a 2xx answer into out (unless out is nil). It returns the status,
// or 0 with the transport error; a non-2xx answer is an *APIError.
func Call(ctx context.Context, c *http.Client, method, url, token string, body []byte, out any) (int, error) {
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
		return resp.StatusCode, &APIError{resp.StatusCode, strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode answer of %s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, nil
}

// MustJSON is v encoded as JSON; it panics if v cannot be encoded.
func MustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Message is the part of a message's JSON the harnesses read.
type Message struct {
	ID             string `json:"id"`
	State          string `json:"state"`
	ContentHash    string `json:"content_hash"`
	SignatureCount int    `json:"signature_count"`
}

// Signatures is the answer of GET /api/v1/messages/{id}/signatures.
type Signatures struct {
	Signatures []struct {
		Email string `json:"email"`
	} `json:"signatures"`
}

// CreateMessage drafts a message and invites the co-signers (in requests of
// at most 5,000 addresses).
func CreateMessage(ctx context.Context, c *http.Client, url, token, title string, invite []string) (Message, error) {
	var m Message
	body := MustJSON(map[string]string{"title": title, "summary": "A load test.", "body": "We urge a change of course."})
	if _, err := Call(ctx, c, "POST", url+"/api/v1/messages", token, body, &m); err != nil {
		return m, fmt.Errorf("create message: %w", err)
	}
	for start := 0; start < len(invite); start += 5000 {
		chunk := invite[start:min(start+5000, len(invite))]
		if _, err := Call(ctx, c, "POST", url+"/api/v1/messages/"+m.ID+"/invitations", token, MustJSON(map[string][]string{"emails": chunk}), nil); err != nil {
			return m, fmt.Errorf("invite co-signers: %w", err)
		}
	}
	return m, nil
}

// Machine describes where the benchmark ran; dir is its temporary directory.
func Machine(dir string) string {
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s %s/%s, temp dir %s", runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), runtime.GOOS, runtime.GOARCH, dir)
}

// LoadAverage is the 1, 5 and 15 minute load averages (Linux), to tell
// whether other work shared the machine during a run; "unknown" where they
// cannot be read.
func LoadAverage() string {
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
