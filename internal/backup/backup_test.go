package backup

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"
)

func identity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.ParseX25519Identity("AGE-SECRET-KEY-1E8KNSXA7CNRJUWYHJDZWN4R4N4J326CUAWMY92QH9Q6JNETUZ5RQT9ZNV5")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// archive writes a small archive with two tables, the second cut in parts.
func archive(t testing.TB, rcpt age.Recipient) ([]byte, map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{KeyringEntry, IdentityEntry, LogKeyEntry} {
		if err := w.File(f, []byte("contents of "+f)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{}
	var m Manifest
	for _, tc := range []struct {
		name string
		rows int
		size int
	}{{"orgs", 2, 10}, {"log_leaves", 3, partSize / 2}} {
		out, err := w.Table(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		var all strings.Builder
		for i := 0; i <= tc.rows; i++ {
			line := strings.Repeat("x", tc.size) + "\n"
			all.WriteString(line)
			if _, err := out.Write([]byte(line)); err != nil {
				t.Fatal(err)
			}
		}
		want[tc.name] = all.String()
		m.Tables = append(m.Tables, Table{Name: tc.name, Rows: int64(tc.rows)})
	}
	m.Log = Log{Size: 3, Root: strings.Repeat("ab", 32)}
	if err := w.Finish(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

func TestRoundTrip(t *testing.T) {
	id := identity(t)
	b, want := archive(t, id.Recipient())
	m, err := Verify(bytes.NewReader(b), id)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(m.Tables) != 2 || m.Tables[1].Parts != 4 || m.Rows() != 5 {
		t.Errorf("manifest tables = %+v; want orgs in 1 part, log_leaves in 4 (a line each), 5 rows", m.Tables)
	}
	r, err := Open(bytes.NewReader(b), m, id)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got := string(r.File(LogKeyEntry)); got != "contents of "+LogKeyEntry {
		t.Errorf("File(%s) = %q", LogKeyEntry, got)
	}
	for {
		name, tr, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(tr)
		if err != nil || string(got) != want[name] {
			t.Errorf("table %s read back %d bytes, %v; want %d bytes", name, len(got), err, len(want[name]))
		}
		delete(want, name)
	}
	if len(want) > 0 || r.Close() != nil {
		t.Errorf("tables not read back: %v", want)
	}
}

func TestVerifyRefuses(t *testing.T) {
	id := identity(t)
	b, _ := archive(t, id.Recipient())
	other, _ := age.GenerateX25519Identity()
	tests := []struct {
		name string
		in   []byte
		ids  []age.Identity
		want string
	}{
		{"flipped", func() []byte { c := bytes.Clone(b); c[len(c)/2] ^= 1; return c }(), []age.Identity{id}, "corrupt"},
		{"truncated", b[:len(b)-100], []age.Identity{id}, "corrupt"},
		{"cut at a chunk", b[:len(b)/2], []age.Identity{id}, "corrupt"},
		{"appended", append(bytes.Clone(b), 0), []age.Identity{id}, "corrupt"},
		{"other identity", b, []age.Identity{other}, "does not decrypt"},
		{"empty", nil, []age.Identity{id}, "corrupt"},
	}
	for _, tt := range tests {
		_, err := Verify(bytes.NewReader(tt.in), tt.ids...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Verify(%s) = %v; want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// FuzzVerify feeds Verify well-encrypted archives of arbitrary contents: it
// must refuse or accept them without panicking or reading without bound.
func FuzzVerify(f *testing.F) {
	id := identity(f)
	b, _ := archive(f, id.Recipient())
	d, err := age.Decrypt(bytes.NewReader(b), id)
	if err != nil {
		f.Fatal(err)
	}
	plain, _ := io.ReadAll(d)
	f.Add(plain)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, plain []byte) {
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, id.Recipient())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		m, err := Verify(&buf, id)
		if err == nil && m == nil {
			t.Fatal("Verify returned neither a manifest nor an error")
		}
	})
}
