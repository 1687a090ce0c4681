package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto/ed25519"
)

// The cost of the signatures on the hot path: the node signs each of its
// votes (with the double-sign guard) and checks every peer's, on the
// peers' reader goroutines, before a message becomes an input.

func benchVote(h int64) *consensus.Vote {
	return &consensus.Vote{Type: consensus.Prevote, Height: h, Round: 0, Value: testID(1), Validator: 0}
}

// BenchmarkSignVote: the signer's path for one vote: guard, sign bytes,
// ed25519 signature.
func BenchmarkSignVote(b *testing.B) {
	s := NewSigner(ed25519.GenPrivKey(), "bench-chain")
	now := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Sign(benchVote(int64(i)+1), now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyVote: sign bytes and one ed25519 verification, as the
// verifier does for each peer vote.
func BenchmarkVerifyVote(b *testing.B) {
	key := ed25519.GenPrivKey()
	signed, err := NewSigner(key, "bench-chain").Sign(benchVote(1), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	v := signed.(*consensus.Vote)
	pub := key.PubKey()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sb, err := wire.SignBytes("bench-chain", v)
		if err != nil {
			b.Fatal(err)
		}
		if !pub.VerifySignature(sb, v.Signature) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkBatchVerifyVotes: CometBFT's ed25519 batch verifier over n
// votes, reported per vote, to compare with BenchmarkVerifyVote.
func BenchmarkBatchVerifyVotes(b *testing.B) {
	for _, n := range []int{4, 64} {
		b.Run(fmt.Sprintf("votes=%d", n), func(b *testing.B) {
			type signedVote struct {
				pub ed25519.PubKey
				sb  []byte
				sig []byte
			}
			votes := make([]signedVote, n)
			for i := range votes {
				key := ed25519.GenPrivKey()
				signed, err := NewSigner(key, "bench-chain").Sign(benchVote(int64(i)+1), time.Now())
				if err != nil {
					b.Fatal(err)
				}
				v := signed.(*consensus.Vote)
				sb, err := wire.SignBytes("bench-chain", v)
				if err != nil {
					b.Fatal(err)
				}
				votes[i] = signedVote{key.PubKey().(ed25519.PubKey), sb, v.Signature}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bv := ed25519.NewBatchVerifier()
				for _, v := range votes {
					if err := bv.Add(v.pub, v.sb, v.sig); err != nil {
						b.Fatal(err)
					}
				}
				if ok, _ := bv.Verify(); !ok {
					b.Fatal("batch does not verify")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vote")
		})
	}
}
