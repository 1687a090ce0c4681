package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	headerSize = 8

	// MaxRecordSize bounds a record's payload, so a damaged length field
	// can never make a reader allocate more than this.
	MaxRecordSize = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkPayload rejects records the format cannot hold.
func checkPayload(rec []byte) error {
	if len(rec) == 0 {
		return errors.New("wal: empty records are not allowed")
	}
	if len(rec) > MaxRecordSize {
		return fmt.Errorf("wal: record of %d bytes exceeds the maximum of %d", len(rec), MaxRecordSize)
	}
	return nil
}

func encodeHeader(rec []byte) [headerSize]byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(h[4:8], crc32.Checksum(rec, castagnoli))
	return h
}

// encodeRecord returns header and payload in one slice.
func encodeRecord(rec []byte) []byte {
	h := encodeHeader(rec)
	return append(h[:], rec...)
}

// badRecord describes why the record at an offset cannot be read.
type badRecord struct {
	offset int64
	reason string
}

// recordReader reads records from one segment, tracking offsets.
type recordReader struct {
	r      *bufio.Reader
	offset int64 // where the next record starts
}

func newRecordReader(r io.Reader) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next record's payload (a new slice), io.EOF at a clean
// end, a *badRecord if the bytes at the current offset are not a valid
// record, or another error if reading failed.
func (rr *recordReader) next() ([]byte, error) {
	var h [headerSize]byte
	n, err := io.ReadFull(rr.r, h[:])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err == io.ErrUnexpectedEOF:
		return nil, &badRecord{rr.offset, fmt.Sprintf("only %d of %d header bytes", n, headerSize)}
	case err != nil:
		return nil, err
	}
	size := binary.LittleEndian.Uint32(h[0:4])
	if size == 0 || size > MaxRecordSize {
		return nil, &badRecord{rr.offset, fmt.Sprintf("impossible length %d", size)}
	}
	payload := make([]byte, size)
	if n, err := io.ReadFull(rr.r, payload); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, &badRecord{rr.offset, fmt.Sprintf("only %d of %d payload bytes", n, size)}
		}
		return nil, err
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
		return nil, &badRecord{rr.offset, "checksum mismatch"}
	}
	rr.offset += headerSize + int64(size)
	return payload, nil
}

func (b *badRecord) Error() string {
	return fmt.Sprintf("bad record at offset %d: %s", b.offset, b.reason)
}

// validAt reports whether a complete, valid record starts at data[i:], and
// how many payload bytes checking it cost.
func validAt(data []byte, i int) (bool, int) {
	if len(data)-i < headerSize {
		return false, 0
	}
	size := int(binary.LittleEndian.Uint32(data[i : i+4]))
	if size == 0 || size > MaxRecordSize || size > len(data)-i-headerSize {
		return false, 0
	}
	payload := data[i+headerSize : i+headerSize+size]
	return crc32.Checksum(payload, castagnoli) == binary.LittleEndian.Uint32(data[i+4:i+8]), size
}

// scanBudget bounds the checksum work spent looking for valid records after
// a bad one, so a long damaged tail cannot stall start-up indefinitely.
const scanBudget = 1 << 30

// errScanBudget means the damaged region was too large to examine.
var errScanBudget = errors.New("the damaged region is too large to tell a torn write from corruption")

// validRecordAfterStart reports whether a valid record starts anywhere in
// tail after its first byte (tail begins at a bad record). It first tries
// where the bad record's own length says the next one starts, the common
// case of a damaged payload, then every offset, since a damaged length
// field hides where the next record is.
func validRecordAfterStart(tail []byte) (bool, error) {
	if len(tail) >= headerSize {
		next := headerSize + int(binary.LittleEndian.Uint32(tail[0:4]))
		if next > 0 && next < len(tail) {
			if ok, _ := validAt(tail, next); ok {
				return true, nil
			}
		}
	}
	spent := 0
	for i := 1; i < len(tail); i++ {
		ok, cost := validAt(tail, i)
		if ok {
			return true, nil
		}
		if spent += cost; spent > scanBudget {
			return false, errScanBudget
		}
	}
	return false, nil
}
