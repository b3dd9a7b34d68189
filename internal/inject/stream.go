package inject

import (
	"bytes"
	"io"
	"runtime"
	"sync"
)

// Chunk is one document of a stream as it appears in the text: its separator line, comments
// and content. Line is the 1-based line of its first byte in the stream.
type Chunk struct {
	Text []byte
	Line int
}

var bom = []byte("\xef\xbb\xbf")

// Split cuts a YAML stream into documents at "---" and after "..." markers, which YAML forbids
// inside content at column 0, so no document is ever cut in two. Concatenating the chunks gives
// back the input exactly.
func Split(data []byte) []Chunk {
	var chunks []Chunk
	start, startLine, line := 0, 1, 1
	preamble := true // only blank, comment and directive lines since start: "---" opens this document
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		text := data[off:next]
		if off == 0 {
			text = bytes.TrimPrefix(text, bom)
		}
		switch {
		case isMarker(text, "---") && off > start && !(preamble && directives(data[start:off])):
			chunks = append(chunks, Chunk{data[start:off], startLine})
			start, startLine = off, line
			preamble = false
		case isMarker(text, "---"):
			preamble = false
		case isMarker(text, "..."):
			chunks = append(chunks, Chunk{data[start:next], startLine})
			start, startLine = next, line+1
			preamble = true
		default:
			if t := bytes.TrimSpace(text); len(t) > 0 && t[0] != '#' && t[0] != '%' {
				preamble = false
			}
		}
		off = next
		line++
	}
	if start < len(data) || len(chunks) == 0 {
		chunks = append(chunks, Chunk{data[start:], startLine})
	}
	return chunks
}

// directives reports whether text holds a "%YAML" or "%TAG" directive, which belongs to the
// document the next "---" opens.
func directives(text []byte) bool {
	for _, line := range bytes.Split(text, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("%")) {
			return true
		}
	}
	return false
}

// isMarker reports whether a line is a document marker: the marker followed by white space,
// a comment, content or the end of the line.
func isMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	rest := line[len(marker):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// StreamResult is the outcome of injecting into a whole stream. The output is kept as one
// piece per document, most of them slices of the input, so a large stream is never copied.
type StreamResult struct {
	Pieces    [][]byte
	Reports   []Report
	Changed   bool
	Fallbacks int // documents re-encoded because the splicer could not place the edit
}

// WriteTo writes the output stream.
func (r *StreamResult) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, p := range r.Pieces {
		m, err := w.Write(p)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Bytes returns the output stream as one slice.
func (r *StreamResult) Bytes() []byte {
	var b bytes.Buffer
	r.WriteTo(&b)
	return b.Bytes()
}

// Stream injects into every document of a stream. Documents are processed in parallel and
// written in order; only the ones that change are re-parsed. Errors carry stream line numbers
// (the caller adds the file name). Nothing is returned on error, so nothing partial is written.
func (in *Injector) Stream(data []byte) (*StreamResult, error) {
	chunks := Split(data)
	type result struct {
		out      []byte
		reports  []Report
		fallback bool
		err      error
	}
	results := make([]result, len(chunks))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(chunks) {
		workers = len(chunks)
	}
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := chunks[i]
				text := c.Text
				if c.Line == 1 {
					text = bytes.TrimPrefix(text, bom)
				}
				out, reps, fallback, err := in.document(text, nil)
				if c.Line == 1 && len(text) != len(c.Text) && err == nil {
					out = append(append([]byte(nil), bom...), out...)
				}
				results[i] = result{out, reps, fallback, err}
			}
		}()
	}
	for i := range chunks {
		next <- i
	}
	close(next)
	wg.Wait()

	res := &StreamResult{Pieces: make([][]byte, 0, len(results))}
	for i, r := range results {
		if r.err != nil {
			return nil, shiftError(r.err, chunks[i].Line-1)
		}
		for _, rep := range r.reports {
			rep.Line += chunks[i].Line - 1
			res.Reports = append(res.Reports, rep)
		}
		if !bytes.Equal(r.out, chunks[i].Text) {
			res.Changed = true
		}
		if r.fallback {
			res.Fallbacks++
		}
		res.Pieces = append(res.Pieces, r.out)
	}
	return res, nil
}

func shiftError(err error, by int) error {
	if e, ok := err.(*Error); ok {
		c := *e
		if c.Line > 0 {
			c.Line += by
		}
		return &c
	}
	return err
}
