package main

import (
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/logging"
)

const (
	homeFlag     = "home"
	logLevelFlag = "log_level"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "bftnode",
		Short: "BFT state machine replication (PBFT or Tendermint) for ABCI applications",
		// Errors are printed once, by main, without the usage text.
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.PersistentFlags().String(homeFlag, config.DefaultHome(), "home directory (default $"+config.HomeEnv+" or ~/"+config.DefaultHomeDirName+")")
	root.PersistentFlags().String(logLevelFlag, config.DefaultConfig().LogLevel, "log level (debug, info, warn, error, none)")
	root.AddCommand(
		newInitCmd(),
		newStartCmd(root.PersistentFlags()),
		newInspectCmd(root.PersistentFlags()),
		newTestnetCmd(),
		newShowNodeIDCmd(),
		newShowValidatorCmd(),
		newResetAllCmd(),
		newVersionCmd(),
		newAppCmd(),
		newLocalnetCmd(),
		newBenchCmd(),
	)
	return root
}

// loadConfig reads the configuration of the home directory named by --home,
// with the command's flags over the environment over config.toml.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	home, err := cmd.Flags().GetString(homeFlag)
	if err != nil {
		return nil, err
	}
	return config.Load(home, cmd.Flags())
}

// newLogger writes cfg's log format at cfg's level to w.
func newLogger(w io.Writer, cfg *config.Config) (*slog.Logger, error) {
	level, err := logging.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	return logging.New(w, cfg.LogFormat, level)
}

// loadWithLogger is loadConfig followed by newLogger on the command's
// output, for the commands that report what they did as log lines.
func loadWithLogger(cmd *cobra.Command) (*config.Config, *slog.Logger, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, nil, err
	}
	logger, err := newLogger(cmd.OutOrStdout(), cfg)
	if err != nil {
		return nil, nil, err
	}
	return cfg, logger, nil
}
