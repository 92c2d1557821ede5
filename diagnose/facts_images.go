package diagnose

import (
	"sort"
	"time"
)

// ImagesFact is what the source repository's images say about one
// destination: which were never attempted there, and which are still in
// progress, with when each was pushed (describe-images).
type ImagesFact struct {
	// Now is when the snapshot was taken.
	Now time.Time
	// NotAttempted are images whose replication status lists no entry for
	// this destination; InProgress those IN_PROGRESS here.
	NotAttempted, InProgress []ImagePush
	// RuleSince is when the rules began to send the repository to this
	// destination, where CloudTrail was read for it (else nil).
	RuleSince *RuleSince
}

// ImagePush is one image and when it was pushed (zero when unknown).
type ImagePush struct {
	Image    string
	PushedAt time.Time
	// Source names the replication status read, for evidence.
	Source Source
}

// imagesFact reads the source's replication statuses of repo against dst,
// with the push times of describe-images; nil when no status was read.
func imagesFact(s *Snapshot, dst Location) *ImagesFact {
	src := s.Registry(s.Source)
	if src == nil {
		return nil
	}
	pushed := map[string]time.Time{}
	if r, ok := src.Images[s.Repository]; ok && r.OK() {
		for _, d := range r.Value.ImageDetails {
			if d.ImagePushedAt == nil {
				continue
			}
			pushed[d.ImageDigest] = d.ImagePushedAt.Time
			for _, t := range d.ImageTags {
				pushed[t] = d.ImagePushedAt.Time
			}
		}
	}
	f := &ImagesFact{Now: s.CapturedAt}
	byImage := src.ReplicationStatus[s.Repository]
	keys := make([]string, 0, len(byImage))
	for k := range byImage {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	read := false
	for _, k := range keys {
		r := byImage[k]
		if !r.OK() {
			continue
		}
		read = true
		id := r.Value.ImageID
		img := id.ImageTag
		if img == "" {
			img = id.ImageDigest
		}
		if img == "" {
			img = k
		}
		at := pushed[img]
		if at.IsZero() && id.ImageDigest != "" {
			at = pushed[id.ImageDigest]
		}
		p := ImagePush{Image: img, PushedAt: at, Source: r.Source}
		found := false
		for _, st := range r.Value.ReplicationStatuses {
			if st.RegistryID == dst.Account && st.Region == dst.Region {
				found = true
				if st.Status == "IN_PROGRESS" {
					f.InProgress = append(f.InProgress, p)
				}
			}
		}
		if !found {
			f.NotAttempted = append(f.NotAttempted, p)
		}
	}
	if !read {
		return nil
	}
	return f
}
