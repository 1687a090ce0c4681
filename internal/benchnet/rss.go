package benchnet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bftnode/bftnode/bench"
)

// parseVmRSS finds "VmRSS:  123456 kB" in a /proc/<pid>/status text.
func parseVmRSS(status []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q is not a number: %w", fields[0], err)
		}
		return kb / 1024, nil
	}
	return 0, errors.New("no VmRSS line in the process status")
}

// RSSSampler samples the nodes' memory at a fixed interval until stopped.
type RSSSampler struct {
	net   *Network
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	max   []float64
	sum   []float64
	count int
	err   error
}

// SampleRSS starts sampling every interval.
func (n *Network) SampleRSS(interval time.Duration) *RSSSampler {
	s := &RSSSampler{net: n, stop: make(chan struct{}), done: make(chan struct{}),
		max: make([]float64, len(n.nodes)), sum: make([]float64, len(n.nodes))}
	go s.run(interval)
	return s
}

func (s *RSSSampler) run(interval time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

func (s *RSSSampler) sample() {
	mbs, err := s.net.NodeRSS()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	for i, mb := range mbs {
		s.max[i] = max(s.max[i], mb)
		s.sum[i] += mb
	}
	s.count++
}

// Stop ends sampling and returns each node's maximum and mean.
func (s *RSSSampler) Stop() ([]bench.NodeRSS, error) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count == 0 {
		return nil, fmt.Errorf("no memory sample taken: %w", s.err)
	}
	out := make([]bench.NodeRSS, len(s.max))
	for i := range out {
		out[i] = bench.NodeRSS{Node: "node" + strconv.Itoa(i), MaxMB: s.max[i], MeanMB: s.sum[i] / float64(s.count), Samples: s.count}
	}
	return out, nil
}
