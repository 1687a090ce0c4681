package mutate

import (
	_ "embed"
	"fmt"
	"strings"
)

// reasonsText holds, per surviving mutant (by Site.Key), why it survives:
// "equivalent: ..." for a mutant no run can tell apart from the original.
// One mutant a line: its key, a tab, the reason.
//
//go:embed reasons.txt
var reasonsText string

// Reasons parses reasonsText: key -> reason.
func Reasons() (map[string]string, error) {
	return parseReasons(reasonsText)
}

func parseReasons(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, reason, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("mutate: reasons.txt line %d: want the mutant's key, a tab and the reason", i+1)
		}
		out[key] = strings.TrimSpace(reason)
	}
	return out, nil
}
