package p2p

import "time"

// maxOffenceRecords bounds the offence table; expired records are pruned
// when it grows past this (peers can make new keys at will).
const maxOffenceRecords = 1024

// offence counts a peer's offences within one BanDuration window.
type offence struct {
	count       int
	since       time.Time // start of the counting window
	bannedUntil time.Time
}

// Penalize records an offence by peer (a message that failed validation or
// verification, say), disconnects it, and bans it for BanDuration once it
// has offended BanAfter times within BanDuration. A banned peer is neither
// accepted nor dialed until the ban ends.
func (h *Host) Penalize(peer ID, reason string) {
	h.recordOffence(peer, reason)
	h.mu.Lock()
	p := h.peers[peer]
	h.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

func (h *Host) recordOffence(peer ID, reason string) {
	h.penalties.Add(1)
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	o := h.offences[peer]
	if o == nil || now.Sub(o.since) > h.cfg.BanDuration {
		if len(h.offences) >= maxOffenceRecords {
			h.pruneOffencesLocked(now)
		}
		o = &offence{since: now, bannedUntil: timeOrZero(o)}
		h.offences[peer] = o
	}
	o.count++
	h.log.Warn("peer penalized", "peer", peer, "reason", reason, "offences", o.count)
	if o.count >= h.cfg.BanAfter {
		o.bannedUntil = now.Add(h.cfg.BanDuration)
		o.count, o.since = 0, now
		h.bans.Add(1)
		h.log.Warn("peer banned", "peer", peer, "until", o.bannedUntil)
	}
}

func timeOrZero(o *offence) time.Time {
	if o == nil {
		return time.Time{}
	}
	return o.bannedUntil
}

func (h *Host) pruneOffencesLocked(now time.Time) {
	for id, o := range h.offences {
		if now.Sub(o.since) > h.cfg.BanDuration && !o.bannedUntil.After(now) {
			delete(h.offences, id)
		}
	}
}

// bannedUntil returns when peer's ban ends, or the zero time.
func (h *Host) bannedUntil(peer ID) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bannedUntilLocked(peer)
}

func (h *Host) bannedUntilLocked(peer ID) time.Time {
	if o := h.offences[peer]; o != nil && o.bannedUntil.After(time.Now()) {
		return o.bannedUntil
	}
	return time.Time{}
}
