package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/internal/home"
)

func newShowNodeIDCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show-node-id",
		Aliases: []string{"show_node_id"},
		Short:   "Print this node's ID, as peers list it in persistent_peers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			id, err := home.NodeID(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), id)
			return nil
		},
	}
}

func newShowValidatorCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "show-validator",
		Aliases: []string{"show_validator"},
		Short:   "Print this node's validator public key as CometBFT JSON",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd)
			if err != nil {
				return err
			}
			data, err := home.ValidatorJSON(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), string(data))
			return nil
		},
	}
}
