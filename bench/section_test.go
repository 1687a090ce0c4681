package bench

import (
	"strings"
	"testing"
)

func TestReplaceSectionKeepsEverythingElse(t *testing.T) {
	doc := []byte("# Report\n\nmade by another generator\n")
	once, err := ReplaceSection(doc, "wan", "first body\n")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(once), string(doc[:len(doc)-1])) || !strings.Contains(string(once), "first body") {
		t.Fatalf("appending the section lost the document or the body:\n%s", once)
	}
	withTail := append(once, "## Hand-written tail\n"...)
	twice, err := ReplaceSection(withTail, "wan", "second body\n")
	if err != nil {
		t.Fatal(err)
	}
	s := string(twice)
	if strings.Contains(s, "first body") || !strings.Contains(s, "second body") {
		t.Errorf("the old body was not replaced:\n%s", s)
	}
	for _, keep := range []string{"made by another generator", "## Hand-written tail"} {
		if !strings.Contains(s, keep) {
			t.Errorf("replacing the section lost %q:\n%s", keep, s)
		}
	}
	if strings.Count(s, "section wan: begin") != 1 {
		t.Errorf("the section appears more than once:\n%s", s)
	}
	other, err := ReplaceSection(twice, "sim", "simulation\n")
	if err != nil || !strings.Contains(string(other), "second body") {
		t.Errorf("another section clobbered this one: %v\n%s", err, other)
	}
}

func TestReplaceSectionRefusesABrokenSection(t *testing.T) {
	begin, _ := sectionMarkers("wan")
	_, err := ReplaceSection([]byte(begin+"\nno end\n"), "wan", "x")
	if err == nil || !strings.Contains(err.Error(), "end marker") {
		t.Errorf("a section without its end marker: %v; want an error saying so", err)
	}
}
