package store

import (
	"bytes"
	"testing"
)

// A seen commit that grows after the decision replaces the stored one,
// extensions kept beside it, and survives reopening the store; a commit
// for another block or a height not held is refused.
func TestUpdateSeenCommitKeepsLateSignaturesAndExtensions(t *testing.T) {
	dir := t.TempDir()
	bs := openBlocks(t, dir)
	steps := testChain(t, 3)
	saveAll(t, bs, steps)
	last := steps[len(steps)-1]
	ec := last.Commit.WrappedExtendedCommit()
	ec.ExtendedSignatures[0].Extension = []byte("oracle price")
	ec.ExtendedSignatures[0].ExtensionSignature = bytes.Repeat([]byte{1}, 64)
	if err := bs.UpdateSeenCommit(ec); err != nil {
		t.Fatal(err)
	}
	other := *ec
	other.BlockID = steps[0].ID
	if err := bs.UpdateSeenCommit(&other); err == nil {
		t.Error("a commit for another block replaced the seen commit")
	}
	beyond := *ec
	beyond.Height++
	if err := bs.UpdateSeenCommit(&beyond); err == nil {
		t.Error("a commit for a height not held was stored")
	}
	if err := bs.Close(); err != nil {
		t.Fatal(err)
	}
	bs = openBlocks(t, dir)
	defer bs.Close()
	got, err := bs.LoadExtendedCommit(last.Block.Height)
	if err != nil || got == nil {
		t.Fatalf("LoadExtendedCommit = %v, %v", got, err)
	}
	if string(got.ExtendedSignatures[0].Extension) != "oracle price" {
		t.Errorf("extension %q after reopening", got.ExtendedSignatures[0].Extension)
	}
	seen, err := bs.LoadSeenCommit(last.Block.Height)
	if err != nil || !bytes.Equal(seen.Hash(), ec.ToCommit().Hash()) {
		t.Errorf("seen commit %v, %v; want the updated one", seen, err)
	}
	if none, err := bs.LoadExtendedCommit(1); none != nil || err != nil {
		t.Errorf("LoadExtendedCommit of a height never updated = %v, %v; want nothing", none, err)
	}
}
