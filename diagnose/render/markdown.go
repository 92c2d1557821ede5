package render

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// Markdown writes the report for pasting into a ticket.
func Markdown(w io.Writer, r *diagnose.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## ecrdoctor: `%s` replication is %s\n\n", r.Repository, r.Verdict)
	fmt.Fprintf(&b, "**%s**\n\n", mdText(Headline(r)))
	fmt.Fprintf(&b, "Source: `%s` in %s/%s\n\n", r.Repository, r.Source.Account, r.Source.Region)
	if len(r.Destinations) > 0 {
		b.WriteString("| Destination | Kind | Verdict | Note |\n|---|---|---|---|\n")
		for _, d := range r.Destinations {
			kind := destinationKind(d)
			fmt.Fprintf(&b, "| %s/%s | %s | %s | %s |\n", d.Account, d.Region, kind, d.Verdict, strings.ReplaceAll(mdText(strings.ReplaceAll(d.Note, "\n", " ")), "|", "\\|"))
		}
		b.WriteString("\n")
	}
	var order []int
	for _, g := range findingGroups(r.Findings) {
		order = append(order, g...)
	}
	for n, i := range order {
		f := r.Findings[i]
		lead := n == 0 || whereKey(r.Findings[order[n-1]]) != whereKey(f)
		fmt.Fprintf(&b, "### %s\n\n", mdText(findingTitle(lead && f.Severity == diagnose.SeverityError, f)))
		fmt.Fprintf(&b, "%s\n\n", mdText(f.Summary))
		if f.Detail != "" {
			fmt.Fprintf(&b, "%s\n\n", mdText(f.Detail))
		}
		if len(f.Evidence) > 0 {
			b.WriteString("**Evidence**\n\n")
			mdEvidence(&b, f.Evidence, "")
			b.WriteString("\n")
		}
		if fx := f.Fix; fx != nil {
			title := "**Fix**"
			if fx.RegistryPolicy != nil && fx.Verified {
				title = "**Fix** (verified by the evaluator)"
			}
			b.WriteString(title + "\n\n")
			mdFix(&b, fx, nil)
		}
	}
	if len(r.Warnings) > 0 {
		b.WriteString("### Warnings\n\n")
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", mdText(wn))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "_%s_\n", mdText(eventsLine(r)))
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEvidence writes evidence as a list, each item's text in a code block;
// indent puts the list inside another.
func mdEvidence(b *strings.Builder, evidence []diagnose.Evidence, indent string) {
	for _, e := range evidence {
		meta := e.Kind
		if !e.Source.IsZero() {
			meta += ", " + mdCode(e.Source.String())
		}
		if e.Time != "" {
			meta += ", " + e.Time
		}
		fence := codeFence(e.Text)
		in := indent + "  "
		fmt.Fprintf(b, "%s- %s\n\n%s%s\n%s%s\n%s%s\n", indent, meta, in, fence, in, strings.ReplaceAll(e.Text, "\n", "\n"+in), in, fence)
	}
}

// mdFix writes a fix's steps, its policy in each form and its backfill;
// before, when not nil, writes what belongs before the backfill.
func mdFix(b *strings.Builder, fx *diagnose.Fix, before func()) {
	for i, s := range fx.Steps {
		fmt.Fprintf(b, "%d. %s\n", i+1, mdText(s))
	}
	b.WriteString("\n")
	if fx.RegistryPolicy != nil {
		fmt.Fprintf(b, "Registry policy:\n\n```json\n%s\n```\n\n", prettyJSON(fx.RegistryPolicy))
	}
	if fx.AWSCLI != "" {
		fmt.Fprintf(b, "AWS CLI:\n\n```sh\n%s\n```\n\n", fx.AWSCLI)
	}
	if fx.Terraform != "" {
		fmt.Fprintf(b, "Terraform:\n\n```hcl\n%s\n```\n\n", fx.Terraform)
	}
	if before != nil {
		before()
	}
	if fx.Backfill != "" {
		fmt.Fprintf(b, "Backfill (source credentials, after the rest of the fix):\n\n```sh\n%s\n```\n\n", fx.Backfill)
	}
}

// mdText makes s safe as Markdown text: outside `code spans` every
// character a renderer would take for markup (an HTML tag such as
// <destination profile>, emphasis, a link, an entity) is escaped with a
// backslash, so the reader sees the words that were written.
func mdText(s string) string {
	var b strings.Builder
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 {
		// An odd number of backquotes: no code spans, every one literal.
		return escapeMarkup(s)
	}
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString(mdCode(p))
			continue
		}
		b.WriteString(escapeMarkup(p))
	}
	return b.String()
}

func escapeMarkup(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		escape := strings.ContainsRune("\\`*[]<>#|~&!", r)
		if r == '_' {
			// Inside a word (REGISTRY_POLICY_MISSING) an underscore is no
			// emphasis in CommonMark: kept bare, the source stays readable.
			escape = i == 0 || i == len(rs)-1 || !isWordRune(rs[i-1]) || !isWordRune(rs[i+1])
		}
		if escape {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// mdCode is s as a code span, its fence longer than any run of backquotes
// in it.
func mdCode(s string) string {
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// codeFence is a fence for a code block holding s.
func codeFence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

func longestRun(s string, c rune) int {
	best, n := 0, 0
	for _, r := range s {
		if r == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}
