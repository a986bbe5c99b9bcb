package audit

import (
	"context"
	"fmt"

	"github.com/weftworks/weft/store"
)

// Break is the first place the chain does not hold.
type Break struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// Report is what Verify found.
type Report struct {
	// Checked counts the entries whose hash was recomputed.
	Checked int64 `json:"checked"`
	// From is the seq the chain starts after (the retention anchor, 0 when
	// nothing was pruned); Head is the last entry's seq and hash, worth
	// keeping outside the database: an attacker who rewrites the whole
	// tail from some row on must also match it.
	From     int64  `json:"from"`
	Head     int64  `json:"head"`
	HeadHash string `json:"head_hash"`
	// Broken is nil when every entry holds.
	Broken *Break `json:"broken,omitempty"`
}

// verifyPage is how many entries Verify reads at a time: memory stays
// bounded however long the trail is.
const verifyPage = 1000

// Verify walks the whole chain and reports the first entry that was
// edited, removed or inserted out of order. err is for failures to read.
func Verify(ctx context.Context, a store.Audit) (Report, error) {
	from, prev, err := a.AuditAnchor(ctx)
	if err != nil {
		return Report{}, err
	}
	rep := Report{From: from, Head: from, HeadHash: prev}
	next := from + 1
	for {
		page, err := a.AuditChain(ctx, rep.Head, verifyPage)
		if err != nil {
			return rep, err
		}
		for _, e := range page {
			switch {
			case e.Seq != next:
				rep.Broken = &Break{Seq: e.Seq, Reason: fmt.Sprintf("entries %d to %d are missing", next, e.Seq-1)}
			case e.PrevHash != prev:
				rep.Broken = &Break{Seq: e.Seq, Reason: "its prev_hash does not match the hash of the entry before it (that entry or this one was edited)"}
			case store.AuditHash(e.PrevHash, e) != e.Hash:
				rep.Broken = &Break{Seq: e.Seq, Reason: "its content does not match its hash (the row was edited)"}
			}
			if rep.Broken != nil {
				return rep, nil
			}
			rep.Checked++
			rep.Head, rep.HeadHash = e.Seq, e.Hash
			prev, next = e.Hash, e.Seq+1
		}
		if len(page) < verifyPage {
			return rep, nil
		}
	}
}
