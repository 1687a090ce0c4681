package config

import (
	"time"

	"github.com/spf13/pflag"
)

// AddFlags adds to fs one flag per key, named by the key's Path
// (--consensus.protocol, --proxy_app), typed as the key and showing its
// value in defaults as the default. A flag already in fs is left as it is,
// so a command can define one of them itself. Load reads the flags back;
// only flags set on the command line override the environment and the file.
func AddFlags(fs *pflag.FlagSet, defaults *Config) {
	for _, k := range registry.keys {
		if fs.Lookup(k.Path()) != nil {
			continue
		}
		v := k.field(defaults)
		switch k.Kind {
		case KindString:
			fs.String(k.Path(), v.String(), k.Doc)
		case KindBool:
			fs.Bool(k.Path(), v.Bool(), k.Doc)
		case KindInt:
			fs.Int(k.Path(), int(v.Int()), k.Doc)
		case KindInt64:
			fs.Int64(k.Path(), v.Int(), k.Doc)
		case KindDuration:
			fs.Duration(k.Path(), time.Duration(v.Int()), k.Doc)
		case KindStringList:
			fs.StringSlice(k.Path(), v.Interface().([]string), k.Doc+" (comma-separated)")
		}
	}
}
