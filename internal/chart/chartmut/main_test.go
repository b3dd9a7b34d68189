package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Every mutation still finds its text exactly once: a template edit that moves it fails here,
// not an hour into `make mutation-chart`.
func TestMutationsMatch(t *testing.T) {
	for _, m := range mutations {
		data, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(m.file)))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte(m.old)); n != 1 {
			t.Errorf("mutation %q: %d matches in %s, want 1", m.id, n, m.file)
		}
	}
}
