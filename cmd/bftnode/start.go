package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/home"
	"github.com/bftnode/bftnode/node"
)

// newStartCmd has one flag per config key; inherited are the root's
// persistent flags, which already define --log_level.
func newStartCmd(inherited *pflag.FlagSet) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "start",
		Aliases: []string{"node", "run"},
		Short:   "Run the node",
		Long: "Run the node with the configuration in <home>/config/config.toml.\n" +
			"Every key can be overridden by a flag --section.key or by the\n" +
			"environment variable BFTNODE_SECTION_KEY; the flag wins.",
		Args: cobra.NoArgs,
		RunE: runStart,
	}
	addKeyFlags(cmd, inherited)
	return cmd
}

// addKeyFlags gives cmd one flag per config key, except those inherited
// defines already.
func addKeyFlags(cmd *cobra.Command, inherited *pflag.FlagSet) {
	// Listed in config.toml's order, so each section's flags stay together.
	cmd.Flags().SortFlags = false
	keyFlags := pflag.NewFlagSet("keys", pflag.ContinueOnError)
	config.AddFlags(keyFlags, config.DefaultConfig())
	keyFlags.VisitAll(func(f *pflag.Flag) {
		if inherited.Lookup(f.Name) == nil {
			cmd.Flags().AddFlag(f)
		}
	})
}

func runStart(cmd *cobra.Command, _ []string) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration of %s is invalid:\n%w", cfg.RootDir, err)
	}
	if err := home.CheckInitialized(cfg); err != nil {
		return err
	}
	logger, err := newLogger(cmd.OutOrStdout(), cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, s := range cfg.Ignored {
		logger.Warn(s.String())
	}
	logger.Info("starting node", "home", cfg.RootDir, "protocol", cfg.Consensus.Protocol, "moniker", cfg.Moniker)
	return node.Run(ctx, cfg, logger)
}
