package main

import (
	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/internal/home"
)

func newResetAllCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "unsafe-reset-all",
		Aliases: []string{"unsafe_reset_all"},
		Short:   "(unsafe) Remove all blocks, state and WAL, and reset the validator to height 0",
		Long: "Empty the data directory and reset the validator's last-signed state to\n" +
			"height 0, keeping the keys, the genesis and the config. The validator may\n" +
			"then sign again at heights it already signed: use on test networks only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadWithLogger(cmd)
			if err != nil {
				return err
			}
			report, err := home.ResetAll(cfg)
			for _, p := range report.Removed {
				logger.Info("Removed", "path", p)
			}
			for _, p := range report.Kept {
				logger.Info("Kept", "path", p)
			}
			if err != nil {
				return err
			}
			if report.ValidatorCreated {
				logger.Info("Generated validator key", "path", cfg.PrivValidatorKeyFile())
			}
			logger.Info("Reset validator state to height 0", "path", cfg.PrivValidatorStateFile())
			return nil
		},
	}
}
