package diagnose

import (
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// Evidence and the sentences that quote it, shared by the checks.

// failureEvidence is the CloudTrail and replication-status evidence of
// failures for this destination.
func (d *destination) failureEvidence() []Evidence {
	return append(eventEvidence(d.Denied, 3), statusEvidence(d.Failed, 3)...)
}

// cite names the registry policy's statements ("Statement \"Sid\" and
// statement 2") and quotes them as evidence.
func (d *destination) cite(sts []policy.StatementResult) (string, []Evidence) {
	var names []string
	var ev []Evidence
	for _, st := range sts {
		names = append(names, statementName(st))
		text := d.registry.statementJSON(st.Index)
		if st.Reason != "" {
			text += "  -- " + st.Reason
		}
		ev = append(ev, Evidence{Kind: EvidenceRegistryPolicy, Source: d.RegistryPolicy.Source, Text: text})
	}
	return capitalize(strings.Join(names, " and ")), ev
}

// agree is one when a sentence's subject is one statement, else many:
// "Statement "A" grants", "Statement "A" and statement "B" grant".
func agree(sts []policy.StatementResult, one, many string) string {
	if len(sts) > 1 {
		return many
	}
	return one
}

// evidenceSources counts what shows the failures.
func (d *destination) evidenceSources() string {
	var parts []string
	if len(d.Denied) > 0 {
		parts = append(parts, fmt.Sprintf("%d CloudTrail event(s)", len(d.Denied)))
	}
	if len(d.Failed) > 0 {
		parts = append(parts, fmt.Sprintf("%d FAILED replication status(es)", len(d.Failed)))
	}
	return strings.Join(parts, " and ")
}

func eventEvidence(events []trail.Event, max int) []Evidence {
	var out []Evidence
	for i, e := range events {
		if i == max {
			break
		}
		text := e.EventName + " " + e.ErrorCode + ": " + e.ErrorMessage
		if !e.Failed() {
			text = e.EventName + " succeeded"
		}
		out = append(out, Evidence{Kind: EvidenceCloudTrailEvent, Source: e.Source, Text: text, Time: rfc3339(e.Time)})
	}
	if len(events) > max {
		out = append(out, Evidence{Kind: EvidenceCloudTrailEvent, Source: Source{Name: "CloudTrail"},
			Text: fmt.Sprintf("and %d more such event(s), the oldest at %s", len(events)-max, rfc3339(events[len(events)-1].Time))})
	}
	return out
}

func statusEvidence(sts []ImageStatus, max int) []Evidence {
	var out []Evidence
	for i, st := range sts {
		if i == max {
			break
		}
		text := fmt.Sprintf("image %s: %s to %s/%s", st.Image, st.Status.Status, st.Status.RegistryID, st.Status.Region)
		if st.Status.FailureCode != "" {
			text += " (" + st.Status.FailureCode + ")"
		}
		out = append(out, Evidence{Kind: EvidenceReplicationStatus, Source: st.Source, Text: text})
	}
	return out
}

func denialSentence(events []trail.Event) string {
	if len(events) == 0 {
		return ""
	}
	e := events[0]
	s := fmt.Sprintf("CloudTrail recorded %d denied replication call(s), the newest at %s: %q.", len(events), rfc3339(e.Time), e.ErrorMessage)
	if d := e.Denial; d != nil && d.PolicyType != "" {
		switch {
		case d.Kind == trail.KindExplicit:
			s += fmt.Sprintf(" The message names an explicit deny in %s.", withArticle(d.PolicyType))
		case d.PolicyType == trail.PolicyResource:
			s += fmt.Sprintf(" The message says no %s allows it: the destination's registry policy lacks the grant.", d.PolicyType)
		default:
			s += fmt.Sprintf(" The message says no %s allows it.", d.PolicyType)
		}
	}
	// Older denials of another kind matter too: an SCP added last week
	// is not fixed by the grant the newest denial asks for.
	newest := describeDenial(e.Denial)
	counts := map[string]int{}
	var kinds []string
	for _, o := range events[1:] {
		if k := describeDenial(o.Denial); k != "" && k != newest {
			if counts[k] == 0 {
				kinds = append(kinds, k)
			}
			counts[k]++
		}
	}
	if len(kinds) > 0 {
		parts := make([]string, len(kinds))
		for i, k := range kinds {
			parts[i] = fmt.Sprintf("%s (%d)", k, counts[k])
		}
		s += " Older denials name other causes too: " + strings.Join(parts, ", ") + "."
	}
	return s
}

// describeDenial is a short description of a denial's kind and policy.
func describeDenial(d *trail.Denial) string {
	switch {
	case d == nil:
		return ""
	case d.Kind == trail.KindExplicit:
		return "an explicit deny in " + withArticle(d.PolicyType)
	case d.PolicyType != "":
		return "no " + d.PolicyType + " allows it"
	}
	return ""
}

// denyStep says where to look for an explicit Deny of the replication role.
func denyStep(d *trail.Denial, source string) string {
	where := map[string]string{
		trail.PolicySCP:         " (attached in AWS Organizations to the source account " + source + " or an organizational unit above it)",
		trail.PolicyRCP:         " (attached in AWS Organizations to the destination account or an organizational unit above it)",
		trail.PolicyVPCEndpoint: " (of the VPC endpoint the request went through)",
		trail.PolicyResource:    " (the destination's registry policy)",
	}[d.PolicyType]
	arn := ""
	if d.PolicyARN != "" {
		arn = " " + d.PolicyARN
	}
	return fmt.Sprintf("Find the Deny statement matching ecr:ReplicateImage in the %s%s%s, and narrow it or exempt the replication role of account %s: an explicit Deny cannot be overridden by any Allow.",
		orPolicy(d.PolicyType), arn, where, source)
}

// withArticle puts "a" or "an" before a policy type.
func withArticle(policyType string) string {
	policyType = orPolicy(policyType)
	if strings.ContainsRune("aeiouAEIOU", rune(policyType[0])) {
		return "an " + policyType
	}
	return "a " + policyType
}

func orPolicy(policyType string) string {
	if policyType == "" {
		return "policy"
	}
	return policyType
}

func statementName(st policy.StatementResult) string {
	if st.Sid != "" {
		return fmt.Sprintf("statement %q", st.Sid)
	}
	return fmt.Sprintf("statement %d", st.Index)
}

func conditionReasons(sts []policy.StatementResult) string {
	var out []string
	for _, st := range sts {
		for _, fc := range st.FailedConditions {
			if fc.Reason != "" {
				out = append(out, fc.Reason)
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "Evaluator: " + strings.Join(out, "; ") + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
