// Package backup writes and reads Dissent's backup archives.
//
// An archive is a tar stream encrypted with age (filippo.io/age) to one or
// more recipients. Its entries, in order:
//
//	keys/keyring.age      the deployment's keyring, as it is on disk (itself
//	                      age-encrypted to the deployment's identity or passphrase)
//	keys/identity.age     the identity that opens the keyring, when the data
//	                      directory holds one (absent with a passphrase)
//	log/key.pub           the audit log's public key
//	tables/NAME/NNNN.jsonl  the rows of each table, in parts, as internal/store dumps them
//	MANIFEST.json         last: what the archive holds, with the SHA-256 and
//	                      size of every entry, each table's row count, and the
//	                      audit log's size, root and newest checkpoint at the snapshot
//
// Security properties: age authenticates the whole stream (a flipped,
// truncated or appended byte fails decryption), and only the holder of an
// identity can read it. The manifest checks the archive's own structure on
// top of that: an entry left out, swapped, repeated or altered before
// encryption is refused. Neither proves who made the archive — anyone with
// the recipient's public key can write one — which is why restore also
// verifies the audit log against its signed checkpoints.
package backup

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"filippo.io/age"
)

// Format is the version of the archive layout.
const Format = 1

// Entry names.
const (
	KeyringEntry  = "keys/keyring.age"
	IdentityEntry = "keys/identity.age"
	LogKeyEntry   = "log/key.pub"
	ManifestEntry = "MANIFEST.json"
)

// Limits of what a reader accepts.
const (
	partSize         = 4 << 20   // a table part is cut after this many bytes
	maxEntry         = 256 << 20 // no entry is larger
	maxManifest      = 16 << 20
	maxFile          = 1 << 20 // keys and log files
	maxTables        = 1000
	maxPartsPerTable = 1 << 20
)

// Manifest describes an archive.
type Manifest struct {
	Format        int       `json:"format"`
	Created       time.Time `json:"created"`
	SourceDialect string    `json:"source_dialect"`
	Schema        int64     `json:"schema_version"`
	Tables        []Table   `json:"tables"`
	Log           Log       `json:"log"`
	KEKs          []string  `json:"keks_in_use"`
	Keyring       string    `json:"keyring"` // "identity" (keys/identity.age opens it) or "passphrase"
	Entries       []Entry   `json:"entries"`
}

// Table is one table of the dump.
type Table struct {
	Name  string `json:"name"`
	Rows  int64  `json:"rows"`
	Parts int    `json:"parts"`
}

// Log is the audit log at the snapshot.
type Log struct {
	Size       int64  `json:"size"`
	Root       string `json:"root"`       // hex
	Checkpoint string `json:"checkpoint"` // the newest signed checkpoint in the snapshot; "" if none
}

// Entry is one entry of the archive.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Rows is the number of rows of all tables.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

func partName(table string, part int) string { return fmt.Sprintf("tables/%s/%04d.jsonl", table, part) }

// Writer writes an archive. Write the files first, then the tables (Writer
// is a store.DumpWriter), then Finish.
type Writer struct {
	enc      io.WriteCloser
	tw       *tar.Writer
	entries  []Entry
	tables   []Table
	cur      *tableWriter
	started  time.Time
	Progress func(rows int64) // told the rows written so far; may be nil
	rows     int64
}

// NewWriter starts an archive written to w, encrypted to rcpts.
func NewWriter(w io.Writer, rcpts ...age.Recipient) (*Writer, error) {
	if len(rcpts) == 0 {
		return nil, errors.New("backup: at least one recipient is needed")
	}
	enc, err := age.Encrypt(w, rcpts...)
	if err != nil {
		return nil, fmt.Errorf("encrypt archive: %w", err)
	}
	return &Writer{enc: enc, tw: tar.NewWriter(enc), started: time.Now()}, nil
}

func (w *Writer) entry(name string, data []byte) error {
	if len(data) > maxEntry {
		return fmt.Errorf("backup: %s would be %d bytes; a reader accepts at most %d (one row is too large)", name, len(data), maxEntry)
	}
	h := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: w.started, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := w.tw.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	w.entries = append(w.entries, Entry{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	return nil
}

// File adds a file entry (keys, log). Files come before the tables.
func (w *Writer) File(name string, data []byte) error {
	if len(w.tables) > 0 {
		return errors.New("backup: files must come before the tables")
	}
	if name != KeyringEntry && name != IdentityEntry && name != LogKeyEntry {
		return fmt.Errorf("backup: unknown file entry %s", name)
	}
	return w.entry(name, data)
}

// Table implements store.DumpWriter: the rows written to the returned
// writer, until the next call, are the table's.
func (w *Writer) Table(name string) (io.Writer, error) {
	if err := w.endTable(); err != nil {
		return nil, err
	}
	if !tableName.MatchString(name) {
		return nil, fmt.Errorf("backup: table name %q", name)
	}
	w.tables = append(w.tables, Table{Name: name})
	w.cur = &tableWriter{w: w, t: &w.tables[len(w.tables)-1]}
	return w.cur, nil
}

func (w *Writer) endTable() error {
	if w.cur == nil {
		return nil
	}
	err := w.cur.flush()
	w.cur = nil
	return err
}

type tableWriter struct {
	w     *Writer
	t     *Table
	buf   bytes.Buffer
	lines int64
}

// Write takes whole lines (the header line first).
func (t *tableWriter) Write(p []byte) (int, error) {
	if t.buf.Len() > 0 && t.buf.Len()+len(p) > partSize {
		if err := t.flush(); err != nil {
			return 0, err
		}
	}
	t.buf.Write(p)
	n := int64(bytes.Count(p, []byte{'\n'}))
	if t.lines == 0 {
		n-- // the header
	}
	t.lines += int64(bytes.Count(p, []byte{'\n'}))
	t.t.Rows += n
	t.w.rows += n
	if t.w.Progress != nil {
		t.w.Progress(t.w.rows)
	}
	return len(p), nil
}

func (t *tableWriter) flush() error {
	if t.buf.Len() == 0 && t.t.Parts > 0 {
		return nil
	}
	t.t.Parts++
	err := t.w.entry(partName(t.t.Name, t.t.Parts), t.buf.Bytes())
	t.buf.Reset()
	return err
}

// Finish checks the tables' row counts against m's (the dump's own
// account), completes m with the parts and entries, writes it last and
// closes the archive. The caller closes the underlying writer.
func (w *Writer) Finish(m Manifest) error {
	if err := w.endTable(); err != nil {
		return err
	}
	if len(m.Tables) != len(w.tables) {
		return fmt.Errorf("backup: the dump reports %d tables; %d were written", len(m.Tables), len(w.tables))
	}
	for i, t := range w.tables {
		if m.Tables[i].Name != t.Name || m.Tables[i].Rows != t.Rows {
			return fmt.Errorf("backup: table %s: the dump reports %d rows; %d were written", t.Name, m.Tables[i].Rows, t.Rows)
		}
	}
	m.Format = Format
	m.Tables = w.tables
	m.Entries = w.entries
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	h := &tar.Header{Name: ManifestEntry, Mode: 0o600, Size: int64(len(b)), ModTime: w.started, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if _, err := w.tw.Write(b); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := w.tw.Close(); err != nil {
		return fmt.Errorf("close archive: %w", err)
	}
	if err := w.enc.Close(); err != nil {
		return fmt.Errorf("close archive: %w", err)
	}
	return nil
}

// ErrCorrupt marks an archive that fails its checks.
var ErrCorrupt = errors.New("the archive is corrupt or incomplete")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

func decrypt(r io.Reader, ids []age.Identity) (io.Reader, error) {
	if len(ids) == 0 {
		return nil, errors.New("no identity to decrypt the archive with")
	}
	d, err := age.Decrypt(r, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("the identity does not decrypt this archive (it was encrypted to another recipient): %w", err)
		}
		return nil, corrupt("not an age-encrypted archive, or its header is damaged: %v", err)
	}
	return d, nil
}

// Verify reads a whole archive and checks it: age's authentication of
// every byte to the end, the manifest's list of entries (names, order, sizes
// and SHA-256), the row count of every table, and the presence of the
// keyring and the log key. It returns the manifest.
func Verify(r io.Reader, ids ...age.Identity) (*Manifest, error) {
	d, err := decrypt(r, ids)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(d)
	var seen []Entry
	names := map[string]bool{}
	rows := map[string]int64{}
	var m *Manifest
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, corrupt("reading entry %d: %v", len(seen)+1, err)
		}
		if m != nil {
			return nil, corrupt("entry %s after the manifest", h.Name)
		}
		if h.Typeflag != tar.TypeReg || names[h.Name] || h.Size < 0 || h.Size > maxEntry {
			return nil, corrupt("unexpected entry %s", h.Name)
		}
		names[h.Name] = true
		if h.Name == ManifestEntry {
			if h.Size > maxManifest {
				return nil, corrupt("manifest of %d bytes", h.Size)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, corrupt("reading the manifest: %v", err)
			}
			m = new(Manifest)
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(m); err != nil {
				return nil, corrupt("the manifest does not parse: %v", err)
			}
			continue
		}
		sum := sha256.New()
		lines := &lineCounter{}
		n, err := io.Copy(io.MultiWriter(sum, lines), tr)
		if err != nil {
			return nil, corrupt("reading %s: %v", h.Name, err)
		}
		seen = append(seen, Entry{Name: h.Name, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
		if table, part, ok := parsePart(h.Name); ok {
			rows[table] += lines.n
			if part == 1 {
				rows[table]-- // the header
			}
		}
	}
	// Read to the end, so that age authenticates the last chunk: a
	// truncated archive fails here if not before.
	if _, err := io.Copy(io.Discard, d); err != nil {
		return nil, corrupt("the archive ends early or was altered: %v", err)
	}
	if m == nil {
		return nil, corrupt("no manifest (the archive is truncated)")
	}
	if err := m.check(seen, rows); err != nil {
		return nil, err
	}
	return m, nil
}

type lineCounter struct{ n int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

func parsePart(name string) (string, int, bool) {
	rest, ok := strings.CutPrefix(name, "tables/")
	if !ok {
		return "", 0, false
	}
	table, file, ok := strings.Cut(rest, "/")
	var part int
	if !ok || !tableName.MatchString(table) || len(file) != len("0001.jsonl") {
		return "", 0, false
	}
	if _, err := fmt.Sscanf(file, "%04d.jsonl", &part); err != nil || part < 1 || partName(table, part) != name {
		return "", 0, false
	}
	return table, part, true
}

// check compares the manifest with the entries read and the rows counted.
func (m *Manifest) check(seen []Entry, rows map[string]int64) error {
	if m.Format != Format {
		return fmt.Errorf("archive format %d; this program reads format %d", m.Format, Format)
	}
	if len(m.Entries) != len(seen) {
		return corrupt("the manifest lists %d entries; the archive holds %d", len(m.Entries), len(seen))
	}
	for i, e := range m.Entries {
		if seen[i] != e {
			if seen[i].Name != e.Name {
				return corrupt("entry %d is %s; the manifest lists %s there (entries swapped, added or removed)", i+1, seen[i].Name, e.Name)
			}
			return corrupt("entry %s: SHA-256 %s, %d bytes; the manifest says %s, %d bytes", e.Name, seen[i].SHA256, seen[i].Size, e.SHA256, e.Size)
		}
	}
	// The entries are, in order: the files, then each table's parts.
	i := 0
	hasKeyring, hasLogKey := false, false
	for ; i < len(seen) && !strings.HasPrefix(seen[i].Name, "tables/"); i++ {
		switch seen[i].Name {
		case KeyringEntry:
			hasKeyring = true
		case LogKeyEntry:
			hasLogKey = true
		case IdentityEntry:
		default:
			return corrupt("unknown entry %s", seen[i].Name)
		}
		if seen[i].Size > maxFile {
			return corrupt("%s is %d bytes", seen[i].Name, seen[i].Size)
		}
	}
	if !hasKeyring || !hasLogKey {
		return corrupt("the archive lacks %s or %s", KeyringEntry, LogKeyEntry)
	}
	if len(m.Tables) > maxTables {
		return corrupt("%d tables", len(m.Tables))
	}
	tables := map[string]bool{}
	for _, t := range m.Tables {
		if tables[t.Name] || t.Parts < 1 || t.Parts > maxPartsPerTable || t.Rows < 0 {
			return corrupt("table %s listed twice or with %d parts", t.Name, t.Parts)
		}
		tables[t.Name] = true
		for p := 1; p <= t.Parts; p, i = p+1, i+1 {
			if i >= len(seen) || seen[i].Name != partName(t.Name, p) {
				return corrupt("part %d of table %s is missing or out of order", p, t.Name)
			}
		}
		if rows[t.Name] != t.Rows {
			return corrupt("table %s holds %d rows; the manifest says %d", t.Name, rows[t.Name], t.Rows)
		}
	}
	if i != len(seen) {
		return corrupt("entry %s belongs to no table of the manifest", seen[i].Name)
	}
	if m.Log.Size < 0 {
		return corrupt("log size %d", m.Log.Size)
	}
	if root, err := hex.DecodeString(m.Log.Root); err != nil || len(root) != sha256.Size {
		return corrupt("log root %q", m.Log.Root)
	}
	return nil
}

// Reader reads a verified archive again, to restore it: the files first
// (File), then the tables (Next, a store.DumpReader). It checks every
// entry's hash against the manifest again as it reads, so that an archive
// changed since Verify fails the load.
type Reader struct {
	m      *Manifest
	d      io.Reader
	tr     *tar.Reader
	files  map[string][]byte
	entry  int // index in m.Entries of the next entry
	table  int // index in m.Tables of the next table
	cur    *tableReader
	header *tar.Header // read ahead: the first table entry
}

// Open starts reading the archive r, verified before into m, and reads its
// files.
func Open(r io.Reader, m *Manifest, ids ...age.Identity) (*Reader, error) {
	d, err := decrypt(r, ids)
	if err != nil {
		return nil, err
	}
	rd := &Reader{m: m, d: d, tr: tar.NewReader(d), files: map[string][]byte{}}
	for {
		h, err := rd.next()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(h.Name, "tables/") || h.Name == ManifestEntry {
			rd.header = h
			return rd, nil
		}
		b, err := rd.readEntry(h)
		if err != nil {
			return nil, err
		}
		rd.files[h.Name] = b
	}
}

func (r *Reader) next() (*tar.Header, error) {
	h, err := r.tr.Next()
	if err != nil {
		return nil, corrupt("reading the archive again: %v", err)
	}
	if h.Name != ManifestEntry && (r.entry >= len(r.m.Entries) || r.m.Entries[r.entry].Name != h.Name) {
		return nil, corrupt("the archive changed since it was verified (entry %s)", h.Name)
	}
	return h, nil
}

func (r *Reader) readEntry(h *tar.Header) ([]byte, error) {
	want := r.m.Entries[r.entry]
	r.entry++
	b, err := io.ReadAll(io.LimitReader(r.tr, maxFile+1))
	if err != nil {
		return nil, corrupt("reading %s: %v", h.Name, err)
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != want.SHA256 {
		return nil, corrupt("the archive changed since it was verified (entry %s)", h.Name)
	}
	return b, nil
}

// File returns a file entry's contents, or nil if the archive has none.
func (r *Reader) File(name string) []byte { return r.files[name] }

// Next implements store.DumpReader.
func (r *Reader) Next() (string, io.Reader, error) {
	if r.cur != nil {
		if _, err := io.Copy(io.Discard, r.cur); err != nil {
			return "", nil, err
		}
		r.cur = nil
	}
	if r.table == len(r.m.Tables) {
		return "", nil, io.EOF
	}
	t := r.m.Tables[r.table]
	r.table++
	r.cur = &tableReader{r: r, t: t}
	return t.Name, r.cur, nil
}

// Close reads the rest of the archive (the manifest) to its end.
func (r *Reader) Close() error {
	if _, err := io.Copy(io.Discard, r.d); err != nil {
		return corrupt("the archive ends early or was altered: %v", err)
	}
	return nil
}

// tableReader reads the parts of one table in turn, checking each part's
// hash when it ends.
type tableReader struct {
	r    *Reader
	t    Table
	part int // parts started
	in   io.Reader
	sum  hashCounter
	want Entry
}

type hashCounter struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (t *tableReader) Read(p []byte) (int, error) {
	for {
		if t.in == nil {
			if t.part == t.t.Parts {
				return 0, io.EOF
			}
			var h *tar.Header
			if t.r.header != nil {
				h, t.r.header = t.r.header, nil
			} else {
				var err error
				if h, err = t.r.next(); err != nil {
					return 0, err
				}
			}
			t.part++
			if h.Name != partName(t.t.Name, t.part) {
				return 0, corrupt("the archive changed since it was verified (entry %s)", h.Name)
			}
			t.want = t.r.m.Entries[t.r.entry]
			t.r.entry++
			t.sum = hashCounter{h: sha256.New()}
			t.in = io.LimitReader(t.r.tr, maxEntry)
		}
		n, err := t.in.Read(p)
		t.sum.h.Write(p[:n])
		t.sum.n += int64(n)
		if errors.Is(err, io.EOF) {
			t.in = nil
			if hex.EncodeToString(t.sum.h.Sum(nil)) != t.want.SHA256 || t.sum.n != t.want.Size {
				return n, corrupt("the archive changed since it was verified (entry %s)", t.want.Name)
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		if err != nil {
			return n, corrupt("reading %s: %v", t.want.Name, err)
		}
		return n, nil
	}
}
