// Package yamlerr turns go-yaml v3's parse errors into a line of the text and a message, with
// the line a user looks for: go-yaml reports its parser's errors one line early and, in a block
// collection, names where the collection starts rather than the line it could not read.
package yamlerr

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	sigyaml "sigs.k8s.io/yaml"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserErrors are the messages of go-yaml's parser (parserc.go), as opposed to its scanner:
// go-yaml reports their line 0-based (decode.go fail), one line early.
var parserErrors = []string{"did not find expected", "found undefined tag handle", "found duplicate %",
	"found incompatible YAML document"}

var unknownAnchorRE = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)

// Locate returns the 1-based line of src that err (from go-yaml v3 parsing src) is about, 0 when
// it names none, and the message without go-yaml's prefix.
func Locate(err error, src []byte) (int, string) {
	line, msg := locate(err, src)
	if strings.HasPrefix(msg, "found incompatible YAML document") {
		msg += " (go-yaml, which Kubernetes tools use, reads YAML 1.1: remove the %YAML directive)"
	}
	return line, msg
}

func locate(err error, src []byte) (int, string) {
	msg := err.Error()
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		for _, p := range parserErrors {
			if strings.HasPrefix(m[2], p) {
				line++
				break
			}
		}
		if m[2] == "did not find expected '-' indicator" || m[2] == "did not find expected key" {
			line = blockProblemLine(src, m[2], line)
		}
		return line, m[2]
	}
	for _, p := range parserErrors {
		if strings.HasPrefix(msg, "yaml: "+p) {
			return 1, strings.TrimPrefix(msg, "yaml: ") // go-yaml leaves out its line 0, the first
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		// go-yaml gives no line: the alias is the first "*name" not inside the anchor's document.
		if i := bytes.Index(src, []byte("*"+m[1])); i >= 0 {
			return lineOf(src[:i]), "unknown anchor '" + m[1] + "' referenced (anchors do not cross documents)"
		}
	}
	return 0, strings.TrimPrefix(msg, "yaml: ")
}

// blockProblemLine finds the line go-yaml could not read in a block sequence or mapping: for
// these errors it names the line where the collection starts (its context mark, unless that is
// line 1). go-yaml v2, which sigs.k8s.io/yaml (kubectl's reader) wraps, names the problem
// instead, 0-based; its answer is taken only for the same problem at or after the collection.
func blockProblemLine(src []byte, problem string, start int) int {
	_, err := sigyaml.YAMLToJSON(src)
	if err == nil {
		return start
	}
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil && m[2] == problem {
		line, _ := strconv.Atoi(m[1])
		return max(start, line+1)
	}
	return start
}

// breakRE matches a line break as go-yaml counts them: CR LF, CR, LF, NEL, LS, PS.
var breakRE = regexp.MustCompile("\r\n|[\r\n\u0085\u2028\u2029]")

// lineOf returns the line on which the text after text starts.
func lineOf(text []byte) int { return len(breakRE.FindAllIndex(text, -1)) + 1 }
