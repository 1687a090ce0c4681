package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
)

func newTestnetCmd() *cobra.Command {
	var o testnet.Options
	var templateFile string
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write the home directories of a test network",
		Long: `Write v + n home directories (DIR/node0, DIR/node1, ...), each with its own keys
and config, one genesis shared by all naming the v validators, and
persistent_peers linking every node to every other.

Addresses: by default node i is at --starting-ip-address + i (or at host
<hostname-prefix>i) on the standard ports 26656 p2p, 26657 rpc, 26658 app and
26660 metrics. With --base-port B all nodes share one host (the starting IP,
default 127.0.0.1) and node i uses B+10i p2p, B+10i+1 rpc, B+10i+2 app and
B+10i+3 metrics.

Example:

	bftnode testnet --v 4 --o ./mytestnet --starting-ip-address 192.168.10.2
	bftnode testnet --v 4 --o ./localnet --base-port 26600   # all on 127.0.0.1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if templateFile != "" {
				tpl, err := config.LoadFile(templateFile)
				if err != nil {
					return err
				}
				o.Template = tpl
			}
			nodes, err := testnet.Generate(o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, n := range nodes {
				role := "full node"
				if n.Validator {
					role = "validator"
				}
				fmt.Fprintf(out, "%s  %s  %s@%s  rpc %d  app %d  metrics %d\n",
					n.Dir, role, n.ID, n.P2PAddress(), n.Ports.RPC, n.Ports.App, n.Ports.Metrics)
			}
			fmt.Fprintf(out, "Successfully initialized %d node directories\n", len(nodes))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Validators, "v", 4, "number of validators")
	f.IntVar(&o.NonValidators, "n", 0, "number of full nodes (not validators)")
	f.StringVar(&o.OutputDir, "o", "./mytestnet", "directory for the node directories")
	f.StringVar(&o.NodeDirPrefix, "node-dir-prefix", "node", "prefix of the node directory names (node gives node0, node1, ...)")
	f.StringVar(&o.StartingIP, "starting-ip-address", "", "IPv4 address of node0; node i gets this + i (with --base-port: the one shared address)")
	f.StringVar(&o.HostnamePrefix, "hostname-prefix", "node", "without --starting-ip-address, node i is at host <prefix>i")
	f.IntVar(&o.BasePort, "base-port", 0, "put all nodes on one host, node i on ports base+10i (p2p), +1 (rpc), +2 (app), +3 (metrics)")
	f.StringVar(&o.ChainID, "chain-id", "", "chain ID (default chain-XXXXXX)")
	f.StringVar(&o.Protocol, "protocol", "", "consensus protocol of every node: tendermint or pbft (default tendermint)")
	f.Int64SliceVar(&o.Powers, "power", nil, "voting power of each validator, comma-separated (default 10 each)")
	f.BoolVar(&o.PopulatePeers, "populate-persistent-peers", true, "fill persistent_peers with every other node")
	f.BoolVar(&o.ExternalApps, "external-apps", false, "connect each node to an ABCI app at tcp://<host>:<app port> instead of the built-in kvstore")
	f.StringVar(&templateFile, "config", "", "config.toml every node starts from (default: the defaults)")
	return cmd
}
