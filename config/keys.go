package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// EnvPrefix starts the name of every environment variable that sets a key:
// BFTNODE_ then the section and key in upper case, joined by "_"
// (BFTNODE_CONSENSUS_PROTOCOL, BFTNODE_PROXY_APP).
const EnvPrefix = "BFTNODE"

// Kind is the type of a key's value.
type Kind int

// The kinds of value a key can hold.
const (
	KindString Kind = iota
	KindBool
	KindInt
	KindInt64
	KindDuration
	KindStringList
)

func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindBool:
		return "boolean"
	case KindInt:
		return "integer"
	case KindInt64:
		return "integer"
	case KindDuration:
		return "duration"
	case KindStringList:
		return "list of strings"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Key is one key of config.toml.
type Key struct {
	Section string // "" for the keys at the top of the file
	Name    string // the name inside its section, e.g. "laddr"
	Doc     string // one line saying what the key does
	Kind    Kind
	index   []int // field path from Config
}

// Path is the dotted name of the key ("rpc.laddr", or "proxy_app" for a key
// at the top of the file). It is also the name of the key's flag on start.
func (k Key) Path() string {
	if k.Section == "" {
		return k.Name
	}
	return k.Section + "." + k.Name
}

// Env is the environment variable that sets the key.
func (k Key) Env() string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(k.Path(), ".", "_"))
}

// String names the key as it appears in config.toml: "[rpc] laddr", or just
// "proxy_app" for a key at the top of the file.
func (k Key) String() string {
	if k.Section == "" {
		return k.Name
	}
	return "[" + k.Section + "] " + k.Name
}

// field is the key's field in c, settable.
func (k Key) field(c *Config) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(k.index)
}

// Section is one [section] of config.toml.
type Section struct {
	Name string // "" for the keys at the top of the file
	Doc  string
}

var (
	durationType   = reflect.TypeOf(time.Duration(0))
	stringListType = reflect.TypeOf([]string(nil))
)

// registry is derived once from the Config struct's tags.
var registry = buildRegistry()

type keyRegistry struct {
	sections []Section
	keys     []Key
	byPath   map[string]Key
}

// Keys lists every key in the order config.toml holds them.
func Keys() []Key { return append([]Key(nil), registry.keys...) }

// Sections lists the sections in file order, the top-of-file keys first.
func Sections() []Section { return append([]Section(nil), registry.sections...) }

// LookupKey finds a key by its dotted path ("consensus.protocol").
func LookupKey(path string) (Key, bool) {
	k, ok := registry.byPath[path]
	return k, ok
}

func buildRegistry() keyRegistry {
	r := keyRegistry{byPath: map[string]Key{}}
	top := reflect.TypeOf(Config{})
	for i := range top.NumField() {
		f := top.Field(i)
		name, ok := f.Tag.Lookup("toml")
		if !ok || name == "-" {
			continue
		}
		r.sections = append(r.sections, Section{Name: name, Doc: f.Tag.Get("doc")})
		for j := range f.Type.NumField() {
			kf := f.Type.Field(j)
			k := Key{
				Section: name,
				Name:    kf.Tag.Get("toml"),
				Doc:     kf.Tag.Get("doc"),
				Kind:    kindOf(kf.Type),
				index:   []int{i, j},
			}
			if k.Name == "" || k.Doc == "" {
				panic(fmt.Sprintf("config: field %s.%s needs toml and doc tags", f.Name, kf.Name))
			}
			r.keys = append(r.keys, k)
			r.byPath[k.Path()] = k
		}
	}
	return r
}

// kindOf maps a field type to its Kind. The struct is ours, so a field of
// another type is a programming error caught by any test run.
func kindOf(t reflect.Type) Kind {
	switch {
	case t == durationType:
		return KindDuration
	case t == stringListType:
		return KindStringList
	case t.Kind() == reflect.String:
		return KindString
	case t.Kind() == reflect.Bool:
		return KindBool
	case t.Kind() == reflect.Int:
		return KindInt
	case t.Kind() == reflect.Int64:
		return KindInt64
	}
	panic(fmt.Sprintf("config: unsupported field type %s", t))
}
