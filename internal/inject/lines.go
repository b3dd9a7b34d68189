package inject

// YAML line breaks as go-yaml reads them: LF, CR, CR LF, and (YAML 1.1's) NEL U+0085, LS U+2028
// and PS U+2029. go-yaml counts each as a line break in its line numbers and in where a line's
// indentation starts, so every line of ours (the stream split, the splicer's index) cuts there too.

// breakLen returns the length of the line break at b[i], or 0 when none starts there.
func breakLen(b []byte, i int) int {
	switch b[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(b) && b[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xc2:
		if i+1 < len(b) && b[i+1] == 0x85 {
			return 2
		}
	case 0xe2:
		if i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xa8 || b[i+2] == 0xa9) {
			return 3
		}
	}
	return 0
}

// lineAt returns the end of the line that starts at off (where its break begins, or len(b)) and
// the start of the next line (len(b) when there is none).
func lineAt(b []byte, off int) (end, next int) {
	for i := off; i < len(b); i++ {
		if c := b[i]; c == '\n' || c == '\r' || c == 0xc2 || c == 0xe2 {
			if n := breakLen(b, i); n > 0 {
				return i, i + n
			}
		}
	}
	return len(b), len(b)
}

// lineOfOffset returns the 1-based line of offset off.
func lineOfOffset(b []byte, off int) int {
	line := 1
	for start := 0; ; line++ {
		_, next := lineAt(b, start)
		if next > off || next == start {
			return line
		}
		start = next
	}
}
