package rpctest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Kind names a decoded JSON value's kind: null, string, number, bool,
// array or object.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// Diff lists where got's shape differs from want's, both decoded by
// encoding/json: different keys, or values of different kinds. Arrays of
// equal length are compared element by element, others each element of
// got with want's first; an empty array in want says nothing about the
// elements. path names the root in the messages ("$").
func Diff(path string, want, got any) []string {
	if Kind(want) != Kind(got) {
		return []string{fmt.Sprintf("%s: %s in CometBFT, %s here", path, Kind(want), Kind(got))}
	}
	switch w := want.(type) {
	case map[string]any:
		return objectDiff(path, w, got.(map[string]any))
	case []any:
		g := got.([]any)
		if len(w) == 0 {
			return nil
		}
		var diffs []string
		for i, gv := range g {
			wv := w[0]
			if len(w) == len(g) {
				wv = w[i] // same length: element by element (batches)
			}
			diffs = append(diffs, Diff(fmt.Sprintf("%s[%d]", path, i), wv, gv)...)
		}
		return diffs
	}
	return nil
}

func objectDiff(path string, w, g map[string]any) []string {
	keys := map[string]bool{}
	for k := range w {
		keys[k] = true
	}
	for k := range g {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var diffs []string
	for _, k := range sorted {
		wv, wok := w[k]
		gv, gok := g[k]
		switch {
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s.%s: missing here", path, k))
		case !wok:
			diffs = append(diffs, fmt.Sprintf("%s.%s: not in CometBFT", path, k))
		default:
			diffs = append(diffs, Diff(path+"."+k, wv, gv)...)
		}
	}
	return diffs
}

// ShapeDiff decodes want and got and lists where got's shape differs.
func ShapeDiff(want, got []byte) ([]string, error) {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return nil, fmt.Errorf("the reference is not JSON: %w\n%s", err, want)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return nil, fmt.Errorf("the answer is not JSON: %w\n%s", err, got)
	}
	return Diff("$", w, g), nil
}

// TB is the part of testing.TB that SameShape needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// SameShape reports through t when got's shape differs from want's; name
// says which answer it is. It returns whether they have the same shape.
func SameShape(t TB, name string, want, got []byte) bool {
	t.Helper()
	diffs, err := ShapeDiff(want, got)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return false
	}
	if len(diffs) > 0 {
		t.Errorf("%s: the answer's shape differs from CometBFT's:\n  %s\nanswer: %s", name, strings.Join(diffs, "\n  "), got)
		return false
	}
	return true
}
