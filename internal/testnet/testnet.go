package testnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cmtrand "github.com/cometbft/cometbft/libs/rand"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/home"
)

// Options describe a test network.
type Options struct {
	Validators    int    // nodes in the genesis validator set; at least 1
	NonValidators int    // full nodes that follow the chain
	OutputDir     string // the node directories go here
	NodeDirPrefix string // "node" makes node0, node1, ...

	StartingIP     string // node i at this IPv4 + i; "" uses HostnamePrefix + i
	HostnamePrefix string // "node" makes hosts node0, node1, ...
	BasePort       int    // if set, all nodes on one host, ports BasePort + 10i + {0,1,2,3}

	ChainID       string    // "" picks chain-XXXXXX
	Protocol      string    // [consensus] protocol; "" keeps the template's
	Powers        []int64   // voting power per validator; empty means 10 each
	GenesisTime   time.Time // zero means now
	PopulatePeers bool      // fill persistent_peers with every other node
	ExternalApps  bool      // proxy_app = tcp://host:app-port instead of the built-in kvstore

	Template *config.Config // config every node starts from; nil means the defaults
}

// Node is one generated home directory.
type Node struct {
	Dir       string
	Moniker   string
	ID        p2p.ID
	Host      string
	Ports     Ports
	Validator bool
}

// P2PAddress is where peers dial the node.
func (n Node) P2PAddress() string { return address(n.Host, n.Ports.P2P) }

// Generate writes the home directories and returns what it made. It refuses
// to write into a node directory that is not empty, and on failure removes
// the node directories it created.
func Generate(opts Options) ([]Node, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	total := opts.Validators + opts.NonValidators
	hosts, ports, err := layout(opts, total)
	if err != nil {
		return nil, err
	}
	nodes := make([]Node, total)
	for i := range nodes {
		name := opts.NodeDirPrefix + strconv.Itoa(i)
		nodes[i] = Node{Dir: filepath.Join(opts.OutputDir, name), Moniker: name, Host: hosts[i],
			Ports: ports[i], Validator: i < opts.Validators}
		if err := checkEmpty(nodes[i].Dir); err != nil {
			return nil, err
		}
	}
	if err := generate(opts, nodes); err != nil {
		for _, n := range nodes {
			os.RemoveAll(n.Dir)
		}
		return nil, err
	}
	return nodes, nil
}

func (o *Options) check() error {
	switch {
	case o.Validators < 1:
		return fmt.Errorf("--v is %d; a network needs at least one validator", o.Validators)
	case o.NonValidators < 0:
		return fmt.Errorf("--n is %d; the number of full nodes cannot be negative", o.NonValidators)
	case o.OutputDir == "":
		return errors.New("no output directory; set --o")
	case o.NodeDirPrefix == "" || strings.ContainsAny(o.NodeDirPrefix, `/\`):
		return fmt.Errorf("node directory prefix %q must be a plain name", o.NodeDirPrefix)
	case len(o.Powers) != 0 && len(o.Powers) != o.Validators:
		return fmt.Errorf("%d powers given for %d validators; give one per validator", len(o.Powers), o.Validators)
	}
	for i, p := range o.Powers {
		if p <= 0 {
			return fmt.Errorf("power %d of validator %d must be positive", p, i)
		}
	}
	if o.StartingIP == "" && o.BasePort == 0 && o.HostnamePrefix == "" {
		return errors.New("nodes need addresses: set --starting-ip-address, --hostname-prefix or --base-port")
	}
	return nil
}

func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check node directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("node directory %s is not empty; remove it or choose another output directory", dir)
	}
	return nil
}

func generate(opts Options, nodes []Node) error {
	cfgs := make([]*config.Config, len(nodes))
	var validators []types.GenesisValidator
	for i := range nodes {
		cfg, pv, id, err := makeKeys(opts, nodes[i])
		if err != nil {
			return err
		}
		cfgs[i], nodes[i].ID = cfg, id
		if nodes[i].Validator {
			pub := pv.Key.PubKey
			validators = append(validators, types.GenesisValidator{
				Address: pub.Address(), PubKey: pub, Power: power(opts, i), Name: nodes[i].Moniker})
		}
	}
	chainID := opts.ChainID
	if chainID == "" {
		chainID = "chain-" + cmtrand.Str(6)
	}
	genesis := home.NewGenesis(chainID, opts.GenesisTime, validators)
	for i, n := range nodes {
		if err := home.SaveGenesis(genesis, cfgs[i].GenesisFile()); err != nil {
			return err
		}
		configure(cfgs[i], opts, nodes, i)
		if err := cfgs[i].Validate(); err != nil {
			return fmt.Errorf("config of %s: %w", n.Dir, err)
		}
		if err := config.WriteConfigFile(cfgs[i].ConfigFile(), cfgs[i]); err != nil {
			return err
		}
	}
	return nil
}

func power(opts Options, i int) int64 {
	if len(opts.Powers) > 0 {
		return opts.Powers[i]
	}
	return home.DefaultPower
}

// makeKeys creates the node's directories, validator key and node key.
func makeKeys(opts Options, n Node) (*config.Config, *privval.FilePV, p2p.ID, error) {
	cfg := config.DefaultConfig()
	if opts.Template != nil {
		cfg = opts.Template.Clone()
	}
	cfg.SetRoot(n.Dir)
	for _, d := range []string{cfg.ConfigDir(), cfg.DBDir(), filepath.Dir(cfg.GenesisFile()),
		filepath.Dir(cfg.PrivValidatorKeyFile()), filepath.Dir(cfg.PrivValidatorStateFile()),
		filepath.Dir(cfg.NodeKeyFile())} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, nil, "", fmt.Errorf("create directory: %w", err)
		}
	}
	pv, err := home.GenPrivValidator(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if err != nil {
		return nil, nil, "", err
	}
	key, err := home.GenNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, nil, "", err
	}
	return cfg, pv, key.ID(), nil
}

// configure sets the keys that differ from node to node.
func configure(cfg *config.Config, opts Options, nodes []Node, i int) {
	n := nodes[i]
	cfg.Moniker = n.Moniker
	if opts.Protocol != "" {
		cfg.Consensus.Protocol = opts.Protocol
	}
	// On its own host a node listens on all interfaces so others reach it;
	// sharing one host, each listens on that host's address only.
	listenHost := "0.0.0.0"
	if opts.BasePort != 0 {
		listenHost = n.Host
	}
	cfg.P2P.ListenAddress = "tcp://" + address(listenHost, n.Ports.P2P)
	cfg.P2P.ExternalAddress = n.P2PAddress()
	cfg.RPC.ListenAddress = "tcp://" + address(listenHost, n.Ports.RPC)
	metricsHost := "" // all interfaces, as CometBFT's ":26660"
	if opts.BasePort != 0 {
		metricsHost = n.Host
	}
	cfg.Instrumentation.PrometheusListenAddr = address(metricsHost, n.Ports.Metrics)
	if opts.ExternalApps {
		cfg.ProxyApp = "tcp://" + address(n.Host, n.Ports.App)
	}
	if opts.PopulatePeers {
		var peers []string
		for j, other := range nodes {
			if j != i {
				peers = append(peers, string(other.ID)+"@"+other.P2PAddress())
			}
		}
		cfg.P2P.PersistentPeers = strings.Join(peers, ",")
	}
}
