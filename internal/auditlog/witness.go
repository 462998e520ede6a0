package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// A Witness keeps the log's checkpoints away from the machine that makes
// them, so that replacing the whole data directory with an older copy (a
// rollback) is found: `dissent verify --against` a checkpoint the witness
// kept fails unless the log extends it.
type Witness interface {
	Witness(ctx context.Context, size uint64, signed []byte) error
}

// DirWitness writes every checkpoint to a directory (e.g. a mount of another
// machine, or one an off-site job copies), as checkpoint.SIZE, and the
// newest as "checkpoint".
type DirWitness string

// Witness implements Witness.
func (d DirWitness) Witness(_ context.Context, size uint64, signed []byte) error {
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return err
	}
	name := filepath.Join(string(d), "checkpoint."+strconv.FormatUint(size, 10))
	if err := writeAtomic(name, signed); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(string(d), "checkpoint"), signed)
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// HTTPWitness POSTs every checkpoint, as text/plain, to a URL: a service
// of the operator's that stores them off the machine.
type HTTPWitness struct {
	URL    string
	Client *http.Client
}

// Witness implements Witness.
func (h HTTPWitness) Witness(ctx context.Context, _ uint64, signed []byte) error {
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(signed))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("witness %s answered %s", h.URL, resp.Status)
	}
	return nil
}

// SetWitnesses sets the witnesses Publish hands new checkpoints to, and
// what is told when one fails (the checkpoint is published regardless).
func (l *Log) SetWitnesses(ws []Witness, onError func(error)) {
	l.witnesses, l.onWitnessError = ws, onError
}

func (l *Log) witness(ctx context.Context, signed []byte) {
	if len(l.witnesses) == 0 {
		return
	}
	cp, err := l.open(signed)
	if err != nil {
		return
	}
	for _, w := range l.witnesses {
		if err := w.Witness(ctx, cp.Size, signed); err != nil && l.onWitnessError != nil {
			l.onWitnessError(err)
		}
	}
}
