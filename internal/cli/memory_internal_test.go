package cli

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// memorySettings runs set with the collector's settings restored afterwards, and returns the
// memory limit and GC percent set left.
func memorySettings(t *testing.T, set func()) (limit int64, percent int) {
	t.Helper()
	oldLimit, oldPercent := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	debug.SetGCPercent(oldPercent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(oldLimit)
		debug.SetGCPercent(oldPercent)
	})
	debug.SetMemoryLimit(math.MaxInt64)
	set()
	limit = debug.SetMemoryLimit(-1)
	percent = debug.SetGCPercent(oldPercent)
	return limit, percent
}

func inputsOf(sizes ...int) []*input {
	var out []*input
	for _, n := range sizes {
		out = append(out, &input{data: make([]byte, n)})
	}
	return out
}

// TestPipeMemory: pipe mode's limit is 64 MiB over 4x all its inputs (it holds them and their
// output, ~3.7x the input on the benchmark stream), the collector waits for 5x growth; the
// user's GOGC and GOMEMLIMIT win.
func TestPipeMemory(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	limit, percent := memorySettings(t, func() { pipeMemory(inputsOf(1000, 2000)) })
	if limit != pipeHeadroom+4*3000 || percent != 400 {
		t.Errorf("limit %d, GC percent %d; want %d and 400", limit, percent, pipeHeadroom+4*3000)
	}
	t.Setenv("GOGC", "50")
	if limit, percent := memorySettings(t, func() { pipeMemory(inputsOf(10)) }); limit != pipeHeadroom+40 || percent == 400 {
		t.Errorf("with GOGC set: limit %d, GC percent %d; want %d and the GOGC's", limit, percent, pipeHeadroom+40)
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	if limit, percent := memorySettings(t, func() { pipeMemory(inputsOf(10)) }); limit != math.MaxInt64 || percent == 400 {
		t.Errorf("with GOMEMLIMIT set: limit %d, GC percent %d; want both untouched", limit, percent)
	}
}

// TestReadAll: stdin redirected from a regular file is read from its position to its end into a
// buffer of that size (one byte over, for the read that sees the end); other readers, and a
// file that grows, read completely.
func TestReadAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.yaml")
	text := strings.Repeat("a: b\n", 3000)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 7)
	if _, err := io.ReadFull(f, head); err != nil {
		t.Fatal(err)
	}
	data, err := readAll(f)
	if err != nil || string(data) != text[7:] || cap(data) != len(text)-7+1 {
		t.Errorf("the rest of a file: %d bytes (cap %d, %v), want %d (cap %d)", len(data), cap(data), err, len(text)-7, len(text)-6)
	}
	if data, err := readAll(f); err != nil || len(data) != 0 {
		t.Errorf("at the end: %d bytes, %v", len(data), err)
	}
	if data, err := readAll(strings.NewReader(text)); err != nil || string(data) != text {
		t.Errorf("a reader: %d bytes, %v", len(data), err)
	}
	b := bytes.NewReader([]byte(text))
	b.Seek(5, io.SeekStart)
	if data, err := readAll(b); err != nil || string(data) != text[5:] || cap(data) != len(text)-5 {
		t.Errorf("a bytes.Reader: %d bytes (cap %d), %v", len(data), cap(data), err)
	}
	// A file that has grown since its size was taken still reads to its end.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if data, err := readSized(f, 10); err != nil || string(data) != text {
		t.Errorf("a file larger than its size: %d bytes, %v", len(data), err)
	}
}
