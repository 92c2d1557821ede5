package diagnose

import (
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// What removes images from the source, for a destination deletions are
// replicated to: the source repository's lifecycle policy and the
// BatchDeleteImage calls in the source's CloudTrail (issue 13 item 4).

// EvidenceLifecyclePolicy is a repository's lifecycle policy;
// EvidenceDeleteEvent a BatchDeleteImage call.
const (
	EvidenceLifecyclePolicy = "lifecycle_policy"
	EvidenceDeleteEvent     = "delete_event"
)

// DeletionsFact is what removes images from the source repository.
type DeletionsFact struct {
	// Lifecycle is the source repository's lifecycle policy (PolicyAbsent:
	// LifecyclePolicyNotFoundException; PolicyUnknown: not read).
	Lifecycle PolicyFact
	// DeletesRead is true when CloudTrail's BatchDeleteImage calls were
	// read; Deletes are those that removed images of the repository, newest
	// first.
	DeletesRead bool
	Deletes     []TrailCall
}

// deletionsFact reads the source's lifecycle policy and deletions of repo.
func deletionsFact(s *Snapshot) *DeletionsFact {
	src := s.Registry(s.Source)
	if src == nil {
		return nil
	}
	f := &DeletionsFact{}
	if lp, ok := src.LifecyclePolicies[s.Repository]; ok {
		switch {
		case lp.OK():
			f.Lifecycle = PolicyFact{State: PolicyPresent, Text: lp.Value.LifecyclePolicyText, Source: lp.Source}
		case lp.ErrCode() == "LifecyclePolicyNotFoundException":
			f.Lifecycle = PolicyFact{State: PolicyAbsent, Source: lp.Source, Err: lp.Err.Error()}
		}
	}
	if src.Deletes.OK() {
		f.DeletesRead = true
		for _, e := range src.Deletes.Value.Events {
			if e.Repository == s.Repository && e.ErrorCode == "" {
				f.Deletes = append(f.Deletes, e)
			}
		}
		sort.SliceStable(f.Deletes, func(i, j int) bool { return f.Deletes[i].Time.After(f.Deletes[j].Time) })
	}
	if f.Lifecycle.State == PolicyUnknown && !f.DeletesRead {
		return nil
	}
	return f
}

// lifecycleRules says in words what each rule of a lifecycle policy
// removes ("rule 1: expire untagged images pushed more than 14 days ago").
func lifecycleRules(text string) []string {
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus      string   `json:"tagStatus"`
				TagPrefixList  []string `json:"tagPrefixList"`
				TagPatternList []string `json:"tagPatternList"`
				CountType      string   `json:"countType"`
				CountUnit      string   `json:"countUnit"`
				CountNumber    int      `json:"countNumber"`
			} `json:"selection"`
			Action struct {
				Type string `json:"type"`
			} `json:"action"`
		} `json:"rules"`
	}
	if json.Unmarshal([]byte(text), &doc) != nil {
		return nil
	}
	var out []string
	for _, r := range doc.Rules {
		sel := r.Selection
		what := strings.TrimSpace(sel.TagStatus + " images")
		if tags := append(append([]string{}, sel.TagPrefixList...), sel.TagPatternList...); len(tags) > 0 {
			what += " tagged " + strings.Join(tags, ", ")
		}
		var when string
		switch sel.CountType {
		case "imageCountMoreThan":
			when = fmt.Sprintf("beyond the newest %d", sel.CountNumber)
		case "sinceImagePushed":
			when = fmt.Sprintf("pushed more than %d %s ago", sel.CountNumber, sel.CountUnit)
		default:
			when = fmt.Sprintf("%s %d %s", sel.CountType, sel.CountNumber, sel.CountUnit)
		}
		out = append(out, fmt.Sprintf("rule %d: %s %s %s", r.RulePriority, cmp.Or(r.Action.Type, "expire"), what, strings.TrimSpace(when)))
	}
	return out
}

// explainDeletions adds to a DELETE_REPLICATION_ENABLED finding what the
// source shows of deletions: they explain an image gone from d.
func explainDeletions(d *destination, f *Finding) {
	x := d.SourceDeletions
	if x == nil {
		return
	}
	var said []string
	switch x.Lifecycle.State {
	case PolicyPresent:
		rules := lifecycleRules(x.Lifecycle.Text)
		said = append(said, fmt.Sprintf("the lifecycle policy expires images (%s)", strings.Join(rules, "; ")))
		f.Evidence = append(f.Evidence, Evidence{Kind: EvidenceLifecyclePolicy, Source: x.Lifecycle.Source, Text: compactJSON(x.Lifecycle.Text)})
	case PolicyAbsent:
		f.Detail += " The source repository has no lifecycle policy, so no expiry removed images there."
	}
	if n := len(x.Deletes); n > 0 {
		newest := x.Deletes[0]
		said = append(said, fmt.Sprintf("%d BatchDeleteImage call(s) in CloudTrail removed images, the newest %s at %s by %s",
			n, strings.Join(newest.Images, ", "), rfc3339(newest.Time), newest.Caller))
		for _, e := range x.Deletes {
			f.Evidence = append(f.Evidence, Evidence{Kind: EvidenceDeleteEvent, Source: e.Source, Time: rfc3339(e.Time),
				Text: fmt.Sprintf("BatchDeleteImage by %s: %s", e.Caller, strings.Join(e.Images, ", "))})
		}
	} else if x.DeletesRead {
		f.Detail += fmt.Sprintf(" CloudTrail holds no BatchDeleteImage call for %s in the source over the period read.", d.Repository)
	}
	if len(said) > 0 {
		f.Summary += " In the source, " + strings.Join(said, ", and ") + ": each of those deletions reaches the destination too."
	}
}
