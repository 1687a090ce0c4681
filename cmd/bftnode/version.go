package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/internal/version"
)

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version and the protocol versions spoken",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := version.Get()
			out := cmd.OutOrStdout()
			if asJSON {
				data, err := json.MarshalIndent(info, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintln(out, string(data))
				return nil
			}
			fmt.Fprintf(out, "bftnode %s (commit %s)\n", info.Version, info.GitCommit)
			fmt.Fprintf(out, "ABCI %s, block protocol %d, p2p protocol %d (CometBFT %s wire formats)\n",
				info.ABCI, info.BlockProtocol, info.P2PProtocol, info.CometBFT)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
