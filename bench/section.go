package bench

import (
	"bytes"
	"fmt"
	"os"
)

// Section markers delimit a part of a report that one generator owns:
// ReplaceSection rewrites only what lies between its own markers, so
// several generators (make bench, make bench-wan, make sim-scale) can
// share BENCHMARKS.md without clobbering each other's parts.
func sectionMarkers(name string) (begin, end string) {
	return fmt.Sprintf("<!-- section %s: begin (regenerated; edit the generator, not this text) -->", name),
		fmt.Sprintf("<!-- section %s: end -->", name)
}

// ReplaceSection returns doc with the body of section name replaced, or
// with the section appended at the end when doc has none yet.
func ReplaceSection(doc []byte, name, body string) ([]byte, error) {
	begin, end := sectionMarkers(name)
	block := begin + "\n\n" + body + "\n" + end + "\n"
	i := bytes.Index(doc, []byte(begin))
	if i < 0 {
		out := append([]byte{}, bytes.TrimRight(doc, "\n")...)
		if len(out) > 0 {
			out = append(out, "\n\n"...)
		}
		return append(out, block...), nil
	}
	j := bytes.Index(doc[i:], []byte(end))
	if j < 0 {
		return nil, fmt.Errorf("the section %q has a begin marker but no end marker %q: restore it or delete the section", name, end)
	}
	rest := doc[i+j+len(end):]
	rest = bytes.TrimPrefix(rest, []byte("\n"))
	out := append(append([]byte{}, doc[:i]...), block...)
	return append(out, rest...), nil
}

// ReplaceSectionInFile applies ReplaceSection to a file, creating it if
// it does not exist.
func ReplaceSectionInFile(path, name, body string) error {
	doc, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	out, err := ReplaceSection(doc, name, body)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}
