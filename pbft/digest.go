package pbft

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/bftnode/bftnode/consensus"
)

// digestViewChange names what a VIEW-CHANGE says (its view, stable
// checkpoint and the (n, v, d) of its certificates), so that two different
// view changes of one validator for one view are told from a retransmission.
func digestViewChange(vc *consensus.ViewChange) [32]byte {
	var b []byte
	b = binary.AppendVarint(b, int64(vc.View))
	b = binary.AppendVarint(b, vc.Stable.Height)
	b = appendBytes(b, vc.Stable.AppHash)
	for i := range vc.Prepared {
		pp := &vc.Prepared[i].PrePrepare
		b = binary.AppendVarint(b, pp.Height)
		b = binary.AppendVarint(b, int64(pp.Round))
		b = appendBytes(b, []byte(pp.Value))
	}
	return sha256.Sum256(b)
}

// digestNewView names what a NEW-VIEW says: its view, who its view changes
// came from and the values of O.
func digestNewView(nv *consensus.NewView) [32]byte {
	var b []byte
	b = binary.AppendVarint(b, int64(nv.View))
	for i := range nv.ViewChanges {
		d := digestViewChange(&nv.ViewChanges[i])
		b = binary.AppendVarint(b, int64(nv.ViewChanges[i].Validator))
		b = append(b, d[:]...)
	}
	for i := range nv.PrePrepares {
		b = binary.AppendVarint(b, nv.PrePrepares[i].Height)
		b = appendBytes(b, []byte(nv.PrePrepares[i].Value))
	}
	return sha256.Sum256(b)
}

func appendBytes(b, data []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(data)))
	return append(b, data...)
}
