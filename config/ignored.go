package config

import (
	"fmt"
	"sort"
	"strings"
)

// IgnoredSetting is a part of config.toml that CometBFT v0.38 has and
// bftnode does not implement: one key, or a whole section. A file written
// for CometBFT starts the node; each such setting is dropped with one
// warning, so an operator sees what has no effect. Anything that is neither
// bftnode's nor CometBFT v0.38's is still refused (see UnknownKeyError), so
// a misspelt key never passes silently.
type IgnoredSetting struct {
	File    string
	Section string // "" for the top of the file
	// Name is the key, or "" when the whole section is ignored.
	Name string
	// Value is the key's value; for a whole section, its keys by name.
	Value any
}

// String is the operator's warning: what is ignored and why.
func (s IgnoredSetting) String() string {
	if s.Name == "" {
		keys, _ := s.Value.(map[string]any)
		return fmt.Sprintf("section [%s] in %s is a CometBFT setting that bftnode does not implement; ignored with its keys %s",
			s.Section, s.File, strings.Join(sortedKeys(keys), ", "))
	}
	k := Key{Section: s.Section, Name: s.Name}
	return fmt.Sprintf("key %s = %v in %s is a CometBFT setting that bftnode does not implement; ignored",
		k, formatValue(s.Value), s.File)
}

// formatValue shows a TOML value as the file spells it, quoting strings.
func formatValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

// isCometBFTSection says whether name is a section of CometBFT v0.38's
// config.toml that bftnode does not have.
func isCometBFTSection(name string) bool { return cometSections[name] && !isSection(name) }

// isCometBFTKey says whether the key is one of CometBFT v0.38's config.toml.
func isCometBFTKey(section, name string) bool {
	return cometKeys[Key{Section: section, Name: name}.Path()]
}

// unknownCometBFTKeys lists the keys of a CometBFT section that CometBFT
// does not have either: these are typos and are refused.
func unknownCometBFTKeys(path, section string, keys map[string]any) []error {
	var errs []error
	for _, name := range sortedKeys(keys) {
		if !isCometBFTKey(section, name) {
			errs = append(errs, &UnknownKeyError{File: path, Section: section, Name: name,
				Hint: fmt.Sprintf("neither bftnode nor CometBFT v0.38 has it; the keys of CometBFT's [%s] are: %s",
					section, quoteList(cometKeyNames(section)))})
		}
	}
	return errs
}

// cometKeyNames lists the names of CometBFT v0.38's keys in a section.
func cometKeyNames(section string) []string {
	var names []string
	prefix := section + "."
	for path := range cometKeys {
		if strings.HasPrefix(path, prefix) {
			names = append(names, strings.TrimPrefix(path, prefix))
		}
	}
	sort.Strings(names)
	return names
}
