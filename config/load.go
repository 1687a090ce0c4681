package config

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Load reads the configuration of the node whose home directory is home.
// Each key takes the first of: its flag in flags (only if the flag was set
// on the command line; flags may be nil), its environment variable
// (BFTNODE_SECTION_KEY), home/config/config.toml (which may be absent), and
// the default. Unknown keys in the file and values of the wrong type are
// errors naming the key and where the value came from; CometBFT v0.38 keys
// bftnode does not implement are listed in the result's Ignored instead. Load does not check
// that values make sense: call Validate for that.
func Load(home string, flags *pflag.FlagSet) (*Config, error) {
	cfg := DefaultConfig().SetRoot(home)
	path := cfg.ConfigFile()
	file, ignored, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	l := layers{file: file, filePath: path, flags: flags, env: true}
	if err := l.apply(cfg); err != nil {
		return nil, err
	}
	cfg.Ignored = ignored
	return cfg, nil
}

// LoadFile reads one config.toml over the defaults, without flags or
// environment variables, e.g. as the template of a testnet's nodes. The
// returned Config has no home directory set.
func LoadFile(path string) (*Config, error) {
	file, ignored, err := readConfigFile(path)
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, fmt.Errorf("config file %s does not exist: %w", path, os.ErrNotExist)
	}
	cfg := DefaultConfig()
	l := layers{file: file, filePath: path}
	if err := l.apply(cfg); err != nil {
		return nil, err
	}
	cfg.Ignored = ignored
	return cfg, nil
}

// layers are the sources of values above the defaults.
type layers struct {
	file     map[string]any // parsed config.toml, nil if there is none
	filePath string
	flags    *pflag.FlagSet
	env      bool
}

// apply resolves every key through viper and stores the result in cfg,
// reporting every bad value at once.
func (l layers) apply(cfg *Config) error {
	v := viper.New()
	for _, k := range registry.keys {
		v.SetDefault(k.Path(), k.field(cfg).Interface())
	}
	if l.file != nil {
		if err := v.MergeConfigMap(l.file); err != nil {
			return fmt.Errorf("read %s: %w", l.filePath, err)
		}
	}
	if l.env {
		v.SetEnvPrefix(EnvPrefix)
		v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
		// An empty variable is a value: BFTNODE_P2P_PERSISTENT_PEERS= clears
		// the list the file sets.
		v.AllowEmptyEnv(true)
		v.AutomaticEnv()
	}
	if l.flags != nil {
		for _, k := range registry.keys {
			if f := l.flags.Lookup(k.Path()); f != nil {
				if err := v.BindPFlag(k.Path(), f); err != nil {
					return fmt.Errorf("bind flag --%s: %w", k.Path(), err)
				}
			}
		}
	}
	var errs []error
	for _, k := range registry.keys {
		if err := setValue(cfg, k, v.Get(k.Path())); err != nil {
			var ve *ValueError
			if errors.As(err, &ve) {
				ve.Source = l.source(k)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// source names where the value of k came from, in the order of precedence.
func (l layers) source(k Key) string {
	if l.flags != nil {
		if f := l.flags.Lookup(k.Path()); f != nil && f.Changed {
			return "flag --" + k.Path()
		}
	}
	if l.env {
		if _, ok := os.LookupEnv(k.Env()); ok {
			return "environment variable " + k.Env()
		}
	}
	if l.file != nil && fileHasKey(l.file, k) {
		return l.filePath
	}
	return "the defaults"
}

func fileHasKey(file map[string]any, k Key) bool {
	if k.Section == "" {
		_, ok := file[k.Name]
		return ok
	}
	section, ok := file[k.Section].(map[string]any)
	if !ok {
		return false
	}
	_, ok = section[k.Name]
	return ok
}
