// Package render writes a diagnose.Report as text for a terminal, JSON for
// ticket bots, or Markdown for pasting into a ticket.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// JSON writes the report as indented JSON. Lists are never null.
func JSON(w io.Writer, r *diagnose.Report) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(r)); err != nil {
		return fmt.Errorf("encoding the report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// normalize returns a copy of r with every nil list made empty, so the JSON
// never says null where a list is expected.
func normalize(r *diagnose.Report) *diagnose.Report {
	c := *r
	if c.Destinations == nil {
		c.Destinations = []diagnose.DestinationReport{}
	}
	if c.Warnings == nil {
		c.Warnings = []string{}
	}
	c.Findings = make([]diagnose.Finding, len(r.Findings))
	for i, f := range r.Findings {
		if f.Evidence == nil {
			f.Evidence = []diagnose.Evidence{}
		}
		if f.Fix != nil && f.Fix.Steps == nil {
			fx := *f.Fix
			fx.Steps = []string{}
			f.Fix = &fx
		}
		c.Findings[i] = f
	}
	return &c
}

// TextOptions tune the text output.
type TextOptions struct {
	// Terminal selects the terminal shape: colour and symbols. Off a
	// terminal the output is plain, with stable wording.
	Terminal bool
	// ColorFrom is the terminal whose colour support decides the colours
	// (the report may be rendered into a buffer first); default: the writer.
	ColorFrom io.Writer
}

type textStyles struct {
	title, bad, warn, good, info, dim, code, label lipgloss.Style
	term                                           bool
}

func newStyles(w io.Writer, term bool) textStyles {
	re := lipgloss.NewRenderer(w)
	s := textStyles{term: term}
	plain := re.NewStyle()
	s.title, s.bad, s.warn, s.good, s.info, s.dim, s.code, s.label = plain, plain, plain, plain, plain, plain, plain, plain
	if term {
		s.title = re.NewStyle().Bold(true)
		s.bad = re.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)
		s.warn = re.NewStyle().Foreground(lipgloss.Color("11"))
		s.good = re.NewStyle().Foreground(lipgloss.Color("10"))
		s.info = re.NewStyle().Foreground(lipgloss.Color("12"))
		s.dim = re.NewStyle().Faint(true)
		s.code = re.NewStyle().Foreground(lipgloss.Color("14"))
		s.label = re.NewStyle().Bold(true) // no Underline: lipgloss styles an underlined text one letter at a time
	}
	return s
}

// Headline is the one-sentence root cause the text and Markdown lead with.
func Headline(r *diagnose.Report) string {
	for _, f := range r.Findings {
		if f.Severity == diagnose.SeverityError {
			return f.Summary
		}
	}
	switch r.Verdict {
	case diagnose.Unknown:
		for _, f := range r.Findings {
			if f.Severity == diagnose.SeverityWarning {
				return "Replication status unknown: " + lowerFirst(f.Summary)
			}
		}
		return fmt.Sprintf("Replication of %s could not be judged: see the warnings.", r.Repository)
	case diagnose.Healthy:
		if len(r.Destinations) == 0 {
			return fmt.Sprintf("Nothing is wrong with the replication of %s that ecrdoctor can see.", r.Repository)
		}
		return fmt.Sprintf("Replication of %s to %s is healthy.", r.Repository, destList(r.Destinations))
	}
	return fmt.Sprintf("Replication of %s is failing.", r.Repository)
}

func destinationKind(d diagnose.DestinationReport) string {
	if d.CrossAccount {
		return "cross-account"
	}
	return "same account"
}

func destList(ds []diagnose.DestinationReport) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Account+"/"+d.Region)
	}
	return strings.Join(parts, ", ")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// Text writes the report for a person: the root cause in one sentence, then
// the destinations, the evidence and the fix.
func Text(w io.Writer, r *diagnose.Report, opts TextOptions) error {
	from := opts.ColorFrom
	if from == nil {
		from = w
	}
	st := newStyles(from, opts.Terminal)
	var b strings.Builder
	verdict := strings.ToUpper(string(r.Verdict))
	head := Headline(r)
	switch r.Verdict {
	case diagnose.Failing:
		if st.term {
			fmt.Fprintf(&b, "%s %s\n", st.bad.Render("✗"), st.title.Render(head))
		} else {
			fmt.Fprintf(&b, "%s: %s\n", verdict, head)
		}
	case diagnose.Unknown:
		if st.term {
			fmt.Fprintf(&b, "%s %s\n", st.warn.Render("?"), st.title.Render(head))
		} else {
			fmt.Fprintf(&b, "%s: %s\n", verdict, head)
		}
	default:
		if st.term {
			fmt.Fprintf(&b, "%s %s\n", st.good.Render("✓"), st.title.Render(head))
		} else {
			fmt.Fprintf(&b, "%s: %s\n", verdict, head)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", st.label.Render("Repository"))
	fmt.Fprintf(&b, "  %s in %s/%s\n", r.Repository, r.Source.Account, r.Source.Region)

	if len(r.Destinations) > 0 {
		fmt.Fprintf(&b, "\n%s\n", st.label.Render("Destinations"))
		for _, d := range r.Destinations {
			kind := destinationKind(d)
			loc := fmt.Sprintf("%s/%s", d.Account, d.Region)
			if st.term {
				fmt.Fprintf(&b, "  %s %-28s %-14s %s\n", verdictMark(st, d.Verdict), loc, kind, verdictWord(st, d.Verdict))
			} else {
				fmt.Fprintf(&b, "  %-28s %-14s %s\n", loc, kind, d.Verdict)
			}
			if d.Note != "" {
				b.WriteString(indent(wrap(d.Note, 90), "      "))
			}
		}
	}

	for i, f := range r.Findings {
		fmt.Fprintf(&b, "\n%s\n", st.label.Render(findingTitle(i, f)))
		b.WriteString(indent(wrap(f.Summary, 96), "  "))
		if f.Detail != "" {
			b.WriteString(indent(wrap(f.Detail, 96), "  "))
		}
		if len(f.Evidence) > 0 {
			fmt.Fprintf(&b, "\n  %s\n", st.title.Render("Evidence"))
			for _, e := range f.Evidence {
				meta := e.Kind
				if e.Source != "" {
					meta += "  " + e.Source
				}
				if e.Time != "" {
					meta += "  " + e.Time
				}
				bullet := "-"
				if st.term {
					bullet = "•"
				}
				fmt.Fprintf(&b, "  %s %s\n", bullet, st.dim.Render(meta))
				b.WriteString(indent(e.Text, "      "))
			}
		}
		if f.Fix != nil {
			writeFixText(&b, st, f)
		}
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "\n%s\n", st.label.Render("Warnings"))
		for _, wn := range r.Warnings {
			fmt.Fprintf(&b, "  - %s\n", wn)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", st.dim.Render(eventsLine(r)))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFixText(b *strings.Builder, st textStyles, f diagnose.Finding) {
	fx := f.Fix
	title := "Fix"
	switch {
	case fx.RegistryPolicy != nil && fx.Verified:
		title = "Fix (verified: the evaluator allows every failed request under this policy)"
	case fx.RegistryPolicy != nil:
		title = "Fix (not verified: see the first step)"
	}
	fmt.Fprintf(b, "\n  %s\n", st.title.Render(title))
	for i, s := range fx.Steps {
		b.WriteString(indentFirst(wrap(s, 94), fmt.Sprintf("  %d. ", i+1), "     "))
	}
	if fx.RegistryPolicy != nil {
		loc := ""
		if f.Destination != nil {
			loc = " for " + f.Destination.Account + "/" + f.Destination.Region
		}
		fmt.Fprintf(b, "\n  Registry policy%s:\n", loc)
		b.WriteString(indent(st.code.Render(prettyJSON(fx.RegistryPolicy)), "    "))
	}
	if fx.AWSCLI != "" {
		fmt.Fprintf(b, "\n  AWS CLI:\n")
		b.WriteString(indent(st.code.Render(fx.AWSCLI), "    "))
	}
	if fx.Terraform != "" {
		fmt.Fprintf(b, "\n  Terraform:\n")
		b.WriteString(indent(st.code.Render(fx.Terraform), "    "))
	}
	if fx.Backfill != "" {
		fmt.Fprintf(b, "\n  Backfill (source credentials, after the rest of the fix):\n")
		b.WriteString(indent(st.code.Render(fx.Backfill), "    "))
	}
}

func findingTitle(i int, f diagnose.Finding) string {
	where := "source"
	if f.Destination != nil {
		where = f.Destination.Account + "/" + f.Destination.Region
	}
	label := "Root cause"
	if i > 0 || f.Severity != diagnose.SeverityError {
		label = "Finding"
	}
	return fmt.Sprintf("%s: %s (%s, %s)", label, f.Code, f.Severity, where)
}

func eventsLine(r *diagnose.Report) string {
	e := r.Events
	if !e.Collected {
		if len(r.APICalls) > 0 {
			// Live: the lookup was tried; the warnings say why it failed.
			return fmt.Sprintf("CloudTrail: not read (see the warnings), so failed replication calls could not be checked (add --events PATH to read trail files instead); %d AWS API call(s).", apiTotal(r))
		}
		return "CloudTrail: not collected, so failed replication calls could not be checked (add --events PATH)."
	}
	s := fmt.Sprintf("CloudTrail: %d record(s) scanned, %d replication event(s) for %s", e.Scanned, e.Matched, r.Repository)
	if e.First != "" {
		s += fmt.Sprintf(", from %s to %s", e.First, e.Last)
	}
	if len(r.APICalls) > 0 {
		s += fmt.Sprintf("; %d AWS API call(s)", apiTotal(r))
	}
	return s + "."
}

func verdictMark(st textStyles, v diagnose.Verdict) string {
	switch v {
	case diagnose.Failing:
		return st.bad.Render("✗")
	case diagnose.Unknown:
		return st.warn.Render("?")
	}
	return st.good.Render("✓")
}

func verdictWord(st textStyles, v diagnose.Verdict) string {
	switch v {
	case diagnose.Failing:
		return st.bad.Render(string(v))
	case diagnose.Unknown:
		return st.warn.Render(string(v))
	}
	return st.good.Render(string(v))
}

func prettyJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// indent prefixes every line of s and ends it with a newline.
func indent(s, prefix string) string {
	return indentFirst(s, prefix, prefix)
}

func indentFirst(s, first, rest string) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	var b strings.Builder
	for i, l := range lines {
		p := rest
		if i == 0 {
			p = first
		}
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(p + l + "\n")
	}
	return b.String()
}

// wrap breaks s into lines of at most width columns at spaces; words longer
// than width (ARNs, JSON) and `quoted commands` stay whole, so they can be
// copied.
func wrap(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		words := fieldsKeepingCode(para)
		line := ""
		for _, w := range words {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = w
				continue
			}
			if line == "" {
				line = w
			} else {
				line += " " + w
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func apiTotal(r *diagnose.Report) int {
	total := 0
	for _, n := range r.APICalls {
		total += n
	}
	return total
}

// fieldsKeepingCode splits s at spaces, except inside `backquotes`.
func fieldsKeepingCode(s string) []string {
	var out []string
	var cur strings.Builder
	inCode := false
	for _, r := range s {
		switch {
		case r == '`':
			inCode = !inCode
			cur.WriteRune(r)
		case r == ' ' && !inCode:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
