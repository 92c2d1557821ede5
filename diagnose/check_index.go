package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// CodeIndexChildNotReplicated: an image index replicated to the
// destination, but one of the images it lists did not (failure-mode note
// FM-28): pulls of that platform fail there.
const CodeIndexChildNotReplicated = "INDEX_CHILD_NOT_REPLICATED"

// IndexChildStatus is one child of an image index whose own replication to
// the destination is COMPLETE, with the child's status there.
type IndexChildStatus struct {
	Index string // the index's tag or digest
	Child IndexChild
	// Status is the child's replication status for the destination (nil:
	// its status names no such destination).
	Status *ImageReplicationStatus
	Source Source
}

// indexChildren lists, for dst, the children of the source's image indexes
// that replicated there whose status was read, in index then manifest order.
func indexChildren(s *Snapshot, dst Location) []IndexChildStatus {
	src := s.Registry(s.Source)
	if src == nil {
		return nil
	}
	var out []IndexChildStatus
	manifests := src.IndexManifests[s.Repository]
	for _, name := range slices.Sorted(maps.Keys(manifests)) {
		m := manifests[name]
		if !m.OK() || !completeAt(src.ReplicationStatus[s.Repository][name], dst) {
			continue
		}
		for _, im := range m.Value.Images {
			for _, ch := range IndexChildren(im.ImageManifest) {
				st, ok := src.IndexChildren[s.Repository][ch.Digest]
				if !ok || !st.OK() {
					continue
				}
				cs := IndexChildStatus{Index: name, Child: ch, Source: st.Source}
				for _, r := range st.Value.ReplicationStatuses {
					if r.RegistryID == dst.Account && r.Region == dst.Region {
						cs.Status = &r
					}
				}
				out = append(out, cs)
			}
		}
	}
	return out
}

// completeAt reports whether a replication status says COMPLETE for dst.
func completeAt(r Read[ReplicationStatusOutput], dst Location) bool {
	if !r.OK() {
		return false
	}
	for _, st := range r.Value.ReplicationStatuses {
		if st.RegistryID == dst.Account && st.Region == dst.Region && st.Status == "COMPLETE" {
			return true
		}
	}
	return false
}

// imageIndexChildNotReplicated reports, per child, the images of a
// replicated image index that FAILED to replicate to d or were never
// attempted there.
func imageIndexChildNotReplicated(d *destination) *Finding {
	var bad []IndexChildStatus
	for _, c := range d.IndexChildren {
		if c.Status == nil || c.Status.Status == "FAILED" {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	var indexes []string
	for _, c := range bad {
		indexes = appendUnique(indexes, c.Index)
	}
	var what []string
	var ev []Evidence
	for _, c := range bad {
		name := c.Child.Digest
		if c.Child.Platform != "" {
			name = c.Child.Platform + " (" + c.Child.Digest + ")"
		}
		if len(indexes) > 1 {
			name += " of " + c.Index
		}
		state := "no replication status for " + d.Destination.String()
		if c.Status != nil {
			state = "FAILED"
			if c.Status.FailureCode != "" {
				state += " " + c.Status.FailureCode
			}
		}
		what = append(what, name+": "+state)
		ev = append(ev, Evidence{Kind: EvidenceReplicationStatus, Source: c.Source, Text: fmt.Sprintf("image %s, listed by the index %s: %s", c.Child.Digest, c.Index, state)})
	}
	fix := &Fix{Steps: []string{fmt.Sprintf("Remove what made these images fail first: a failure code names it; without one, look at the other findings for %s (its registry policy, the destination repository's KMS key or tag immutability).", d.Destination)}}
	backfillTo(fix, d, true)
	return &Finding{
		Summary: fmt.Sprintf("The image index %s of %s replicated to %s, but not every image it lists did: %s.", strings.Join(indexes, ", "), d.Repository, d.Destination, strings.Join(what, "; ")),
		Detail: "An image index (a multi-platform image) is replicated as the index and each image it lists, and each can fail on its own: the index's status is COMPLETE while a child's is not. " +
			"A pull of that platform in the destination then fails, although the tag is there. The failure code of each child says why; ECR does not retry it.",
		Evidence: ev,
		Fix:      fix,
	}
}
