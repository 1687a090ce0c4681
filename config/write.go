package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bftnode/bftnode/internal/atomicfile"
)

const fileHeader = `# This is a TOML config file for bftnode.
# For more information, see https://github.com/toml-lang/toml
#
# Relative paths are relative to the home directory (--home, BFTNODE_HOME or
# ~/.bftnode). Every key can also be set by a flag of "bftnode start"
# (--section.key, e.g. --rpc.laddr) or by an environment variable
# (BFTNODE_SECTION_KEY, e.g. BFTNODE_RPC_LADDR); a flag wins over the
# environment, which wins over this file.
`

// Render returns cfg as a config.toml: every key of every section with its
// one-line comment above it.
func Render(cfg *Config) []byte {
	var b bytes.Buffer
	b.WriteString(fileHeader)
	keys := Keys()
	for _, s := range Sections() {
		b.WriteString("\n")
		if s.Name != "" {
			b.WriteString("#######################################################\n")
			fmt.Fprintf(&b, "###  %s\n", s.Doc)
			b.WriteString("#######################################################\n")
			fmt.Fprintf(&b, "[%s]\n\n", s.Name)
		}
		first := true
		for _, k := range keys {
			if k.Section != s.Name {
				continue
			}
			if !first {
				b.WriteString("\n")
			}
			first = false
			fmt.Fprintf(&b, "# %s\n", k.Doc)
			fmt.Fprintf(&b, "%s = %s\n", k.Name, formatTOML(k, k.field(cfg)))
		}
	}
	return b.Bytes()
}

// WriteConfigFile writes cfg to path as a commented config.toml, creating
// the directory if needed. The file is replaced atomically so a crash never
// leaves half a config behind.
func WriteConfigFile(path string, cfg *Config) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create config directory %s: %w", dir, err)
	}
	return atomicfile.Write(path, Render(cfg), 0o644)
}
