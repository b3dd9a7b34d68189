package inject

import (
	"bytes"
	"fmt"
	"io"
)

// Chunk is one document of a stream as it appears in the text: its separator line, comments
// and content. Line is the 1-based line of its first byte in the stream.
type Chunk struct {
	Text []byte
	Line int
}

var bom = []byte("\xef\xbb\xbf")

// Split cuts a YAML stream into documents at "---" and after "..." markers, which YAML forbids
// inside content at column 0, so no document is ever cut in two. Lines end where go-yaml's do
// (lines.go). Concatenating the chunks gives back the input exactly.
func Split(data []byte) []Chunk {
	var chunks []Chunk
	start, startLine, line := 0, 1, 1
	preamble := true // only blank, comment and directive lines since start: "---" opens this document
	directive := false
	for off := 0; off < len(data); line++ {
		end, next := lineAt(data, off)
		text := data[off:end]
		if off == 0 {
			text = bytes.TrimPrefix(text, bom)
		}
		switch {
		case isMarker(text, "---") && off > start && !(preamble && directive):
			chunks = append(chunks, Chunk{data[start:off], startLine})
			start, startLine = off, line
			preamble, directive = false, false
		case isMarker(text, "---"):
			preamble, directive = false, false
		case isMarker(text, "..."):
			chunks = append(chunks, Chunk{data[start:next], startLine})
			start, startLine = next, line+1
			preamble, directive = true, false
		default:
			if t := bytes.TrimLeft(text, " \t"); len(t) > 0 && t[0] != '#' {
				directive = directive || preamble && text[0] == '%'
				preamble = preamble && text[0] == '%'
			}
		}
		off = next
	}
	if start < len(data) || len(chunks) == 0 {
		chunks = append(chunks, Chunk{data[start:], startLine})
	}
	return chunks
}

// isMarker reports whether a line (without its break) is a document marker: the marker
// followed by white space, a comment, content or the end of the line.
func isMarker(line []byte, marker string) bool {
	rest, ok := bytes.CutPrefix(line, []byte(marker))
	return ok && (len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t')
}

// StreamResult is the outcome of injecting into a whole stream. The output is kept as one
// piece per document, most of them slices of the input, so a large stream is never copied.
type StreamResult struct {
	Pieces  [][]byte
	Reports []Report
	Changed bool
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

// Stream injects into every document of a stream, one after the other; only the ones that
// change are re-parsed. Errors carry stream line numbers (the caller adds the file name).
// Nothing is returned on error, so nothing partial is written.
func (in *Injector) Stream(data []byte) (*StreamResult, error) {
	chunks := Split(data)
	res := &StreamResult{Pieces: make([][]byte, 0, len(chunks))}
	for _, c := range chunks {
		text := c.Text
		if c.Line == 1 {
			text = bytes.TrimPrefix(text, bom)
		}
		out, reports, err := in.Document(text)
		if err != nil {
			return nil, shiftError(err, c.Line-1)
		}
		if len(text) != len(c.Text) {
			out = append(append([]byte(nil), bom...), out...)
		}
		for _, rep := range reports {
			rep.Line += c.Line - 1
			res.Reports = append(res.Reports, rep)
		}
		res.Changed = res.Changed || !bytes.Equal(out, c.Text)
		res.Pieces = append(res.Pieces, out)
	}
	return res, nil
}

// CheckStream is the last check of an output stream before it is written (to stdout or over a
// file): it must hold want documents with content, as many as its input (Documents). Each
// changed document was parsed again and compared with what it must read as (DocumentInspect),
// each other one is the input's own text; what is left to go wrong is the stream's assembly: a
// document dropped or cut in two.
func CheckStream(out []byte, want int) error {
	if got := Documents(out); got != want {
		return fmt.Errorf("internal error: the output holds %d documents, the input %d; nothing written, please report this input", got, want)
	}
	return nil
}

// Documents counts the documents of a stream that have content: a line that is not blank, a
// comment, a directive or a bare document marker.
func Documents(data []byte) int {
	n := 0
	for _, c := range Split(data) {
		text := bytes.TrimPrefix(c.Text, bom)
		for off := 0; off < len(text); {
			end, next := lineAt(text, off)
			line := text[off:end]
			if isMarker(line, "---") || isMarker(line, "...") {
				line = line[3:]
			}
			if t := bytes.TrimLeft(line, " \t"); len(t) > 0 && t[0] != '#' && line[0] != '%' {
				n++
				break
			}
			off = next
		}
	}
	return n
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
