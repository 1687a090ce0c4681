package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	cmtcfg "github.com/cometbft/cometbft/config"
	toml "github.com/pelletier/go-toml/v2"
)

// UnknownKeyError says that a config file holds a key bftnode does not have.
type UnknownKeyError struct {
	File    string
	Section string // "" for the top of the file
	Name    string
	Hint    string // a likely intended key, or why the key is not there
}

func (e *UnknownKeyError) Error() string {
	k := Key{Section: e.Section, Name: e.Name}
	msg := fmt.Sprintf("unknown key %s in %s", k, e.File)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// UnknownSectionError says that a config file holds a [section] bftnode does
// not have.
type UnknownSectionError struct {
	File string
	Name string
	Hint string
}

func (e *UnknownSectionError) Error() string {
	msg := fmt.Sprintf("unknown section [%s] in %s", e.Name, e.File)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// readConfigFile parses the TOML file at path and checks that it holds only
// known sections and keys. A missing file is not an error: it returns nil.
// CometBFT v0.38 settings that bftnode does not implement are taken out of
// the returned map and listed as ignored.
func readConfigFile(path string) (map[string]any, []IgnoredSetting, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read config file: %w", err)
	}
	var file map[string]any
	if err := toml.Unmarshal(data, &file); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, nil, fmt.Errorf("config file %s is not valid TOML at line %d, column %d: %w", path, row, col, err)
		}
		return nil, nil, fmt.Errorf("config file %s is not valid TOML: %w", path, err)
	}
	if file == nil {
		file = map[string]any{}
	}
	ignored, err := checkKnownKeys(path, file)
	if err != nil {
		return nil, nil, err
	}
	return file, ignored, nil
}

// checkKnownKeys reports every unknown section and key of the file, in
// sorted order so the message is stable. A CometBFT v0.38 key or section
// bftnode does not implement is not an error: it is deleted from file and
// returned, to be warned about.
func checkKnownKeys(path string, file map[string]any) ([]IgnoredSetting, error) {
	var errs []error
	var ignored []IgnoredSetting
	for _, name := range sortedKeys(file) {
		section, isTable := file[name].(map[string]any)
		switch {
		case !isTable:
			if isCometBFTKey("", name) && !isKey("", name) {
				ignored = append(ignored, IgnoredSetting{File: path, Name: name, Value: file[name]})
				delete(file, name)
				continue
			}
			errs = append(errs, checkKey(path, "", name))
		case isSection(name):
			for _, key := range sortedKeys(section) {
				if _, nested := section[key].(map[string]any); nested {
					errs = append(errs, &UnknownKeyError{File: path, Section: name, Name: key,
						Hint: fmt.Sprintf("[%s] has no sub-tables", name)})
					continue
				}
				if isCometBFTKey(name, key) && !isKey(name, key) {
					ignored = append(ignored, IgnoredSetting{File: path, Section: name, Name: key, Value: section[key]})
					delete(section, key)
					continue
				}
				errs = append(errs, checkKey(path, name, key))
			}
		case isCometBFTSection(name):
			if bad := unknownCometBFTKeys(path, name, section); len(bad) > 0 {
				errs = append(errs, bad...)
				continue
			}
			ignored = append(ignored, IgnoredSetting{File: path, Section: name, Value: section})
			delete(file, name)
		default:
			errs = append(errs, &UnknownSectionError{File: path, Name: name, Hint: sectionHint(name)})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ignored, nil
}

func checkKey(path, section, name string) error {
	if isKey(section, name) {
		return nil
	}
	return &UnknownKeyError{File: path, Section: section, Name: name, Hint: keyHint(section, name)}
}

// isKey says whether bftnode implements the key.
func isKey(section, name string) bool {
	_, ok := LookupKey(Key{Section: section, Name: name}.Path())
	return ok
}

func isSection(name string) bool {
	for _, s := range registry.sections {
		if s.Name == name && name != "" {
			return true
		}
	}
	return false
}

// keyHint suggests what an unknown key was meant to be: a key with a close
// spelling in the same section, or the same key in another section.
func keyHint(section, name string) string {
	if best := closest(name, keyNames(section)); best != "" {
		return fmt.Sprintf("did you mean %s?", best)
	}
	var elsewhere []string
	for _, k := range registry.keys {
		if k.Name == name && k.Section != section {
			elsewhere = append(elsewhere, k.String())
		}
	}
	if len(elsewhere) > 0 {
		return fmt.Sprintf("it belongs in another section: %s", strings.Join(elsewhere, " or "))
	}
	return fmt.Sprintf("the keys of %s are: %s", sectionTitle(section), quoteList(keyNames(section)))
}

func sectionHint(name string) string {
	if best := closest(name, sectionNames()); best != "" {
		return fmt.Sprintf("did you mean [%s]?", best)
	}
	return fmt.Sprintf("the sections are: %s", quoteList(sectionNames()))
}

// closest returns the candidate nearest to name by edit distance if it is
// near enough to be a typo: at most one edit per three characters.
func closest(name string, candidates []string) string {
	best, bestDist := "", len(name)/3+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cometKeys and cometSections are the keys and sections of CometBFT v0.38's
// config.toml, read from its Config struct: a file written for CometBFT
// holds these, and those bftnode does not implement are ignored with a
// warning rather than refused.
var cometKeys, cometSections = cometBFTKeys()

func cometBFTKeys() (map[string]bool, map[string]bool) {
	keys, sections := map[string]bool{}, map[string]bool{}
	top := reflect.TypeOf(cmtcfg.Config{})
	for i := range top.NumField() {
		f := top.Field(i)
		tag := strings.Split(f.Tag.Get("mapstructure"), ",")
		t := f.Type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			continue
		}
		section := tag[0]
		if len(tag) > 1 && tag[1] == "squash" {
			section = ""
		} else {
			sections[section] = true
		}
		for j := range t.NumField() {
			name := strings.Split(t.Field(j).Tag.Get("mapstructure"), ",")[0]
			if name == "" || name == "home" {
				continue
			}
			keys[Key{Section: section, Name: name}.Path()] = true
		}
	}
	return keys, sections
}

// sectionTitle is how a section is named in messages.
func sectionTitle(section string) string {
	if section == "" {
		return "the top of the file"
	}
	return "[" + section + "]"
}

// keyNames lists the names of the keys of one section.
func keyNames(section string) []string {
	var names []string
	for _, k := range registry.keys {
		if k.Section == section {
			names = append(names, k.Name)
		}
	}
	return names
}

func sectionNames() []string {
	var names []string
	for _, s := range registry.sections {
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	return names
}

func quoteList(items []string) string {
	return strings.Join(items, ", ")
}
