//go:build linux

package e2e

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Sample is one line of the Prometheus text exposition.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
	Text   string // the value as scraped
	Line   string // as scraped
}

// Exposition is a parsed /metrics body.
type Exposition struct {
	Samples []Sample
	Help    map[string]string // metric family -> HELP text
	Type    map[string]string // metric family -> TYPE
}

// ParseExposition parses the Prometheus text format (what the controller serves on every
// version: client_golang up to v3.5, OpenTelemetry's Prometheus exporter from v3.6).
func ParseExposition(text string) (*Exposition, error) {
	e := &Exposition{Help: map[string]string{}, Type: map[string]string{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) >= 3 && f[1] == "HELP" {
				if len(f) == 4 {
					e.Help[f[2]] = unescapeHelp(f[3])
				} else {
					e.Help[f[2]] = ""
				}
			}
			if len(f) == 4 && f[1] == "TYPE" {
				e.Type[f[2]] = f[3]
			}
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q: %v", n+1, line, err)
		}
		e.Samples = append(e.Samples, s)
	}
	return e, nil
}

func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}, Line: line}
	i := strings.IndexAny(line, "{ ")
	if i <= 0 {
		return s, fmt.Errorf("no metric name")
	}
	s.Name = line[:i]
	rest := line[i:]
	if rest[0] == '{' {
		j := 1
		for {
			for j < len(rest) && (rest[j] == ',' || rest[j] == ' ') {
				j++
			}
			if j < len(rest) && rest[j] == '}' {
				j++
				break
			}
			eq := strings.IndexByte(rest[j:], '=')
			if eq < 0 || j+eq+1 >= len(rest) || rest[j+eq+1] != '"' {
				return s, fmt.Errorf("bad label set")
			}
			key := rest[j : j+eq]
			j += eq + 2
			var val strings.Builder
			for ; j < len(rest) && rest[j] != '"'; j++ {
				if rest[j] == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(rest[j])
					}
					continue
				}
				val.WriteByte(rest[j])
			}
			if j >= len(rest) {
				return s, fmt.Errorf("unterminated label value")
			}
			j++
			s.Labels[key] = val.String()
		}
		rest = rest[j:]
	}
	f := strings.Fields(rest)
	if len(f) < 1 || len(f) > 2 {
		return s, fmt.Errorf("want value [timestamp]")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return s, err
	}
	s.Value, s.Text = v, f[0]
	return s, nil
}

func unescapeHelp(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(s)
}

// Select returns the samples named name whose labels include every pair of match.
func (e *Exposition) Select(name string, match map[string]string) []Sample {
	var out []Sample
	for _, s := range e.Samples {
		if s.Name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.Labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// WithLabel returns every sample carrying label key=value, whatever its name.
func (e *Exposition) WithLabel(key, value string) []Sample {
	var out []Sample
	for _, s := range e.Samples {
		if v, ok := s.Labels[key]; ok && v == value {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// Canonical renders a sample as `name{k="v",...} value` with keys sorted, the form the
// expectations are written in.
func Canonical(name string, labels map[string]string, value string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(name)
	if len(keys) > 0 {
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s=%q", k, labels[k])
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(value)
	return b.String()
}

// FormatValue renders a value the way the expectations are written.
func FormatValue(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
