package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/internal/home"
)

func newInitCmd() *cobra.Command {
	var chainID, protocol string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the config, keys and a single-validator genesis in the home directory",
		Long: "Create config/config.toml, config/genesis.json (this node as the only validator),\n" +
			"config/priv_validator_key.json, data/priv_validator_state.json and\n" +
			"config/node_key.json. Files that exist are kept.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadWithLogger(cmd)
			if err != nil {
				return err
			}
			fileProtocol := cfg.Consensus.Protocol
			if protocol != "" {
				cfg.Consensus.Protocol = protocol
			}
			if err := cfg.Validate(); err != nil {
				return fmt.Errorf("configuration of %s is invalid:\n%w", cfg.RootDir, err)
			}
			steps, err := home.Init(cfg, home.InitOptions{ChainID: chainID})
			for _, s := range steps {
				if s.Created {
					logger.Info("Generated "+s.What, "path", s.Path)
				} else {
					logger.Info("Found "+s.What, "path", s.Path)
				}
				if s.What == home.StepConfig && !s.Created && protocol != "" && protocol != fileProtocol {
					logger.Warn("existing config kept: --protocol not written; edit [consensus] protocol in it",
						"path", s.Path, "protocol", fileProtocol)
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&chainID, "chain-id", "", "chain ID of a new genesis (default test-chain-XXXXXX)")
	cmd.Flags().StringVar(&protocol, "protocol", "", "consensus protocol written to a new config.toml: tendermint or pbft (default tendermint)")
	return cmd
}
