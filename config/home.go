package config

import (
	"os"
	"path/filepath"
)

// HomeEnv is the environment variable naming the home directory.
const HomeEnv = EnvPrefix + "_HOME"

// DefaultHome is the home directory when --home is not given: $BFTNODE_HOME
// if set, else ~/.bftnode (or .bftnode in the working directory if the user
// has no home directory).
func DefaultHome() string {
	if h := os.Getenv(HomeEnv); h != "" {
		return h
	}
	if user, err := os.UserHomeDir(); err == nil {
		return filepath.Join(user, DefaultHomeDirName)
	}
	return DefaultHomeDirName
}
