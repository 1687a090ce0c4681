package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ValueError says that a key was given a value of the wrong type, and where
// that value came from.
type ValueError struct {
	Key    Key
	Source string // "flag --rpc.laddr", "env BFTNODE_RPC_LADDR", a file path
	Value  any
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("bad value for %s in %s: %s", e.Key, e.Source, e.Reason)
}

// setValue converts raw, which came from a TOML file, a flag or an
// environment variable, to the key's type and stores it in c.
func setValue(c *Config, k Key, raw any) error {
	v, reason := convert(k.Kind, raw)
	if reason != "" {
		return &ValueError{Key: k, Value: raw, Reason: reason}
	}
	k.field(c).Set(reflect.ValueOf(v).Convert(k.field(c).Type()))
	return nil
}

// convert returns the value as the kind's Go type, or why it cannot.
func convert(kind Kind, raw any) (any, string) {
	switch kind {
	case KindString:
		if s, ok := raw.(string); ok {
			return s, ""
		}
		return nil, fmt.Sprintf("%s is not a string; quote it", describe(raw))
	case KindBool:
		return toBool(raw)
	case KindInt, KindInt64:
		return toInt(raw)
	case KindDuration:
		return toDuration(raw)
	case KindStringList:
		return toStringList(raw)
	}
	return nil, fmt.Sprintf("unsupported kind %s", kind)
}

func toBool(raw any) (any, string) {
	switch v := raw.(type) {
	case bool:
		return v, ""
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
	}
	return nil, fmt.Sprintf("%s is not a boolean; use true or false", describe(raw))
}

func toInt(raw any) (any, string) {
	switch v := raw.(type) {
	case int:
		return int64(v), ""
	case int64:
		return v, ""
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v), ""
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err == nil {
			return n, ""
		}
	}
	return nil, fmt.Sprintf("%s is not a whole number", describe(raw))
}

func toDuration(raw any) (any, string) {
	switch v := raw.(type) {
	case time.Duration:
		return v, ""
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err == nil {
			return d, ""
		}
	case int64, int:
		// A bare number has no unit; only zero means the same in every unit.
		if fmt.Sprint(v) == "0" {
			return time.Duration(0), ""
		}
		return nil, fmt.Sprintf("%s has no unit; write it as a string like \"3s\" or \"500ms\"", describe(raw))
	}
	return nil, fmt.Sprintf("%s is not a duration; write it like \"3s\" or \"500ms\"", describe(raw))
}

// toStringList accepts a TOML array of strings, or one string of
// comma-separated items as flags and environment variables give it.
func toStringList(raw any) (any, string) {
	switch v := raw.(type) {
	case []string:
		return append([]string{}, v...), ""
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Sprintf("item %s is not a string; quote every item", describe(item))
			}
			out = append(out, s)
		}
		return out, ""
	case string:
		out := []string{}
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
		return out, ""
	}
	return nil, fmt.Sprintf("%s is not a list of strings; write it like [\"a\", \"b\"]", describe(raw))
}

func describe(raw any) string {
	if s, ok := raw.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v (%T)", raw, raw)
}

// formatTOML writes a key's value as a TOML value.
func formatTOML(k Key, v reflect.Value) string {
	switch k.Kind {
	case KindString:
		return quoteTOML(v.String())
	case KindBool:
		return strconv.FormatBool(v.Bool())
	case KindInt, KindInt64:
		return strconv.FormatInt(v.Int(), 10)
	case KindDuration:
		return quoteTOML(time.Duration(v.Int()).String())
	case KindStringList:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = quoteTOML(v.Index(i).String())
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return ""
}

// quoteTOML writes s as a TOML basic string. TOML's escapes differ from
// Go's (no \x, \a or \v), so strconv.Quote is not used.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
