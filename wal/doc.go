// Package wal is bftnode's write-ahead log: an append-only sequence of
// opaque records in a directory, protected by checksums and made durable
// with fsync, so that a node that crashed can replay what it did and never
// sign two different things for one slot.
//
// # Format
//
// A record is an 8-byte header followed by its payload:
//
//	offset 0: payload length, uint32 little-endian, 1..MaxRecordSize
//	offset 4: CRC-32C (Castagnoli) of the payload, uint32 little-endian
//	offset 8: payload
//
// Empty records are not allowed, so a run of zero bytes (what a file system
// may leave after a crash) never reads as valid records.
//
// Records live in segment files named GGGGGGGGGGGGGGGG-SSSSSSSS.wal (hex
// generation and sequence number). Appends go to the newest segment of the
// newest generation; when it would grow past Options.SegmentSize the log
// moves on to the next sequence number. Reset starts a new generation: the
// log is then the records of the newest generation in sequence order.
//
// # Durability and recovery
//
// Append only buffers; Sync and AppendSync return once the records are
// written and fsynced. AppendSync lets concurrent callers share one fsync
// (group commit). Only the tail of the log can have been half-written by a
// crash, so Open cuts a torn last record (short, failing its checksum, or
// followed only by garbage) and reports it. A bad record with valid records
// after it cannot come from a crash: Open then refuses with a
// CorruptionError naming the file and offset.
//
// Reset writes the new generation's first segment under a temporary name,
// fsyncs it, renames it into place and fsyncs the directory before removing
// the old generation, so a crash leaves either the old log or the new one.
// Open removes temporary files and older generations left behind.
package wal
